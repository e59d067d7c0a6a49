// Lints schema/*.graphql together with graphql-schema-linter and the rules in
// .graphql-schema-linterrc; exits non-zero on any problem.
//
// graphql-js (16.x) takes a directive on a field of `extend input` for one on
// an argument, so it rejects gqlgen's @goField(omittable: true) there
// (schema/tokenpolicy.graphql). @goField only steers gqlgen's code generation
// and says nothing a reader sees, so the linted copies have it blanked out
// with spaces: lines and columns in the report stay those of the sources.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const schemaDir = resolve(here, '../../schema');
const copies = mkdtempSync(join(tmpdir(), 'latchkey-schemalint-'));
try {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.graphql')).sort();
  if (files.length === 0) throw new Error(`no .graphql files in ${schemaDir}`);
  for (const f of files) {
    const src = readFileSync(join(schemaDir, f), 'utf8');
    writeFileSync(join(copies, f), src.replace(/(?<!directive )@goField\([^)]*\)/g, (m) => ' '.repeat(m.length)));
  }
  const linter = join(here, 'node_modules/graphql-schema-linter/lib/cli.js');
  const run = spawnSync(process.execPath, [linter, '--config-directory', here, '--format', 'text', ...files.map((f) => join(copies, f))], {
    encoding: 'utf8',
  });
  const report = (run.stdout + run.stderr).replaceAll(copies, schemaDir);
  process.stdout.write(report);
  if (run.status !== 0) process.exitCode = run.status ?? 1;
} finally {
  rmSync(copies, { recursive: true, force: true });
}
