// A token's verifications by outcome over time (schema/usage.graphql), drawn
// as stacked bars in inline SVG: axes with time labels, a legend with the
// totals, and the totals as a table for those who do not read charts.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { Q, gql } from "./api";
import { message } from "./errors";
import { ErrorBanner } from "./ui";

export type Outcome = "allowed" | "forbidden" | "rateLimited" | "usageExceeded" | "ipRefused" | "notYetValid";
type Counts = Record<Outcome, number> & { requests: number };
interface Series {
  points: { at: string; counts: Counts }[];
  total: Counts;
}

/** The outcomes, stacked in this order from the axis up, with what the legend calls them. */
export const outcomes: [Outcome, string][] = [
  ["allowed", "Allowed"],
  ["forbidden", "Forbidden"],
  ["rateLimited", "Rate limited"],
  ["usageExceeded", "Out of credits"],
  ["ipRefused", "Network refused"],
  ["notYetValid", "Not yet valid"],
];

type Range = "day" | "month" | "year";
const hour = 3600e3;
const day = 24 * hour;
// Each range in buckets the server keeps for it: 24 hours, 30 days, 365 days.
const ranges: Record<Range, { label: string; long: string; interval: "HOUR" | "DAY"; size: number; count: number }> = {
  day: { label: "24 hours", long: "the last 24 hours", interval: "HOUR", size: hour, count: 24 },
  month: { label: "30 days", long: "the last 30 days", interval: "DAY", size: day, count: 30 },
  year: { label: "A year", long: "the last 365 days", interval: "DAY", size: day, count: 365 },
};

/** The period of a range ending with the bucket that holds now (buckets are aligned to UTC). */
function period(r: Range, now = Date.now()) {
  const { size, count } = ranges[r];
  const to = (Math.floor(now / size) + 1) * size;
  return { from: new Date(to - count * size).toISOString(), to: new Date(to).toISOString() };
}

/** A round step for about four grid lines up to max: 1, 2 or 5 times a power of ten. */
function niceStep(max: number): number {
  const raw = Math.max(1, max / 4);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

const n = (v: number) => v.toLocaleString("en");

function bucketLabel(iso: string, r: Range, long = false): string {
  const d = new Date(iso);
  if (r === "day") return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) + (long ? ", " + d.toLocaleDateString(undefined, { month: "short", day: "numeric" }) : "");
  // Days are UTC days: show the UTC date, not the local one.
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC", ...(long ? { year: "numeric" } : {}) });
}

function countsText(c: Counts): string {
  const parts = outcomes.filter(([o]) => c[o] > 0).map(([o, label]) => `${n(c[o])} ${label.toLowerCase()}`);
  return parts.length ? parts.join(", ") : "none";
}

export function UsageChart(props: { tokenId: string }) {
  const [range, setRange] = useState<Range>("day");
  const [series, setSeries] = useState<Series | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(true);
  const [retry, setRetry] = useState(0);
  const [width, setWidth] = useState(720);
  const box = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    let live = true;
    setBusy(true);
    gql<{ node: { usage: Series } | null }>(Q.tokenUsage, { id: props.tokenId, ...period(range), interval: ranges[range].interval })
      .then((d) => {
        if (!live) return;
        setSeries(d.node?.usage ?? null);
        setError("");
      })
      .catch((e) => live && setError(message(e)))
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [props.tokenId, range, retry]);

  // The drawing is as wide as its box, so that its text keeps its size.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(260, Math.floor(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const r = ranges[range];
  return (
    <div class="usage" data-range={range} aria-busy={busy}>
      <div class="usage-ranges" role="group" aria-label="Period">
        {(Object.keys(ranges) as Range[]).map((k) => (
          <button key={k} type="button" class="button small" aria-pressed={k === range} data-range={k} onClick={() => setRange(k)}>
            {ranges[k].label}
          </button>
        ))}
      </div>
      <ErrorBanner text={error} onRetry={() => setRetry((x) => x + 1)} />
      <div class="usage-chart" ref={box}>
        {series && <Chart series={series} range={range} width={width} id={id} />}
        {!series && !error && <p class="muted">Loading…</p>}
      </div>
      {series && (
        <>
          <ul class="usage-legend" aria-label={`Totals over ${r.long}`}>
            {outcomes.map(([o, label]) => (
              <li key={o} data-outcome={o}>
                <span class={"swatch use-" + o} aria-hidden="true" /> {label} <strong data-total={o}>{n(series.total[o])}</strong>
              </li>
            ))}
            <li data-outcome="requests">
              In all <strong data-total="requests">{n(series.total.requests)}</strong>
            </li>
          </ul>
          <details class="usage-table">
            <summary>Totals as a table</summary>
            <table class="data-table">
              <caption class="visually-hidden">Verifications over {r.long}, by outcome</caption>
              <thead>
                <tr>
                  <th scope="col">Outcome</th>
                  <th scope="col">Verifications</th>
                </tr>
              </thead>
              <tbody>
                {outcomes.map(([o, label]) => (
                  <tr key={o} data-outcome={o}>
                    <th scope="row">{label}</th>
                    <td>{n(series.total[o])}</td>
                  </tr>
                ))}
                <tr data-outcome="requests">
                  <th scope="row">In all</th>
                  <td>{n(series.total.requests)}</td>
                </tr>
              </tbody>
            </table>
          </details>
          <p class="hint">
            {r.interval === "HOUR" ? "One bar per hour, in your time zone." : "One bar per day; days are UTC days."} Counts reach this chart when Latchkey writes
            them (every few seconds). Unknown or revoked tokens are not counted here.
          </p>
        </>
      )}
    </div>
  );
}

function Chart(props: { series: Series; range: Range; width: number; id: string }) {
  const { series, range, width, id } = props;
  const r = ranges[range];
  const height = 220;
  const m = { left: 48, right: 8, top: 10, bottom: 28 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const points = series.points;
  const top = Math.max(0, ...points.map((p) => p.counts.requests));
  const step = niceStep(top);
  const yMax = Math.max(step, Math.ceil(top / step) * step);
  const y = (v: number) => m.top + plotH - (v / yMax) * plotH;
  const slot = plotW / Math.max(1, points.length);
  const barW = Math.max(1, slot * (points.length > 60 ? 1 : 0.75));
  const ticks: number[] = [];
  for (let v = 0; v <= yMax; v += step) ticks.push(v);
  // About one time label per 90 px.
  const every = Math.max(1, Math.ceil(points.length / Math.max(2, Math.floor(plotW / 90))));
  const titleId = id + "-title";
  const descId = id + "-desc";
  return (
    <svg
      class="usage-svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby={titleId}
      aria-describedby={descId}
      data-max={yMax}
    >
      <title id={titleId}>Verifications of this token over {r.long}, by outcome</title>
      <desc id={descId}>
        {series.total.requests === 0
          ? "No verifications in this period."
          : `${n(series.total.requests)} in all: ${countsText(series.total)}. The busiest ${r.interval === "HOUR" ? "hour" : "day"} had ${n(top)}.`}
      </desc>
      {ticks.map((v) => (
        <g key={v} class="usage-grid">
          <line x1={m.left} x2={width - m.right} y1={y(v)} y2={y(v)} />
          <text x={m.left - 6} y={y(v)} dy="0.32em" text-anchor="end">
            {n(v)}
          </text>
        </g>
      ))}
      {points.map((p, i) => {
        let base = 0;
        const x = m.left + i * slot + (slot - barW) / 2;
        return (
          <g key={p.at} class="usage-bar" data-at={p.at} data-requests={p.counts.requests}>
            <title>{`${bucketLabel(p.at, range, true)}: ${countsText(p.counts)}`}</title>
            {/* A transparent column, so that the hover title covers empty buckets too. */}
            <rect class="usage-hit" x={m.left + i * slot} y={m.top} width={slot} height={plotH} />
            {outcomes.map(([o]) => {
              const c = p.counts[o];
              if (!c) return null;
              const y0 = y(base);
              base += c;
              return <rect key={o} class={"use-" + o} data-outcome={o} data-count={c} x={x} y={y(base)} width={barW} height={Math.max(0.5, y0 - y(base))} />;
            })}
          </g>
        );
      })}
      <line class="usage-axis" x1={m.left} x2={width - m.right} y1={m.top + plotH} y2={m.top + plotH} />
      {points.map((p, i) =>
        i % every === 0 ? (
          <text key={p.at} class="usage-xlabel" x={m.left + i * slot + slot / 2} y={height - 8} text-anchor="middle">
            {bucketLabel(p.at, range)}
          </text>
        ) : null,
      )}
      {series.total.requests === 0 && (
        <text class="usage-empty" x={m.left + plotW / 2} y={m.top + plotH / 2} text-anchor="middle">
          No verifications in this period
        </text>
      )}
    </svg>
  );
}
