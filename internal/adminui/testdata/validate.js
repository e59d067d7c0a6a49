"use strict";
var latchkeyValidate = (() => {
  var __defProp = Object.defineProperty;
  var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __hasOwnProp = Object.prototype.hasOwnProperty;
  var __export = (target, all) => {
    for (var name in all)
      __defProp(target, name, { get: all[name], enumerable: true });
  };
  var __copyProps = (to, from, except, desc) => {
    if (from && typeof from === "object" || typeof from === "function") {
      for (let key of __getOwnPropNames(from))
        if (!__hasOwnProp.call(to, key) && key !== except)
          __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
    }
    return to;
  };
  var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

  // src/validate.ts
  var validate_exports = {};
  __export(validate_exports, {
    checkAvatarURL: () => checkAvatarURL,
    checkDescription: () => checkDescription,
    checkExternalID: () => checkExternalID,
    checkMetadata: () => checkMetadata,
    checkName: () => checkName,
    checkNetworks: () => checkNetworks,
    checkRateLimits: () => checkRateLimits,
    checkSecret: () => checkSecret,
    checkSlug: () => checkSlug,
    checkWebhookURL: () => checkWebhookURL,
    checkWhole: () => checkWhole,
    length: () => length,
    lines: () => lines,
    maxLimit: () => maxLimit,
    maxPeriodSeconds: () => maxPeriodSeconds,
    maxRateLimits: () => maxRateLimits,
    networkWithin: () => networkWithin,
    parseNetwork: () => parseNetwork,
    problems: () => problems,
    suggestSlug: () => suggestSlug,
    trim: () => trim,
    wholeNumber: () => wholeNumber
  });
  var space = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  var edges = new RegExp(`^[${space}]+|[${space}]+$`, "g");
  function trim(v) {
    return v.replace(edges, "");
  }
  function length(v) {
    return [...trim(v)].length;
  }
  var invisible = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
  function tooLong(what, v, max) {
    const n = length(v);
    return n > max ? `The ${what} is ${n} characters long; at most ${max} fit.` : "";
  }
  function checkName(label, v) {
    const what = label.toLowerCase();
    if (length(v) === 0) return `Enter a ${what}.`;
    const long = tooLong(what, v, 100);
    if (long) return long;
    if (invisible.test(trim(v))) return `The ${what} contains an invisible or control character; remove it.`;
    return "";
  }
  function checkDescription(v) {
    return tooLong("description", v, 1e3);
  }
  var slugRE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
  function checkSlug(label, v, max) {
    if (v.length > max) return `The ${label.toLowerCase()} is ${v.length} characters long; at most ${max} fit.`;
    if (!slugRE.test(v)) {
      const example = suggestSlug(v);
      return `Use lower-case letters and digits joined by single hyphens for the ${label.toLowerCase()}` + (example && example !== v ? `, such as \u201C${example}\u201D.` : ".");
    }
    return "";
  }
  function suggestSlug(v) {
    return v.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 90);
  }
  function checkAvatarURL(v) {
    const s = trim(v);
    if (!s) return "";
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(s);
    if (!m) return "The avatar must be a whole web address starting with https://.";
    if (m[1].toLowerCase() !== "https") return "The avatar must be an https address (http and other kinds are not loaded).";
    if (!m[2].startsWith("//")) return "The avatar address must start with https:// (two slashes).";
    const authority = m[2].slice(2).split(/[/?#]/, 1)[0];
    if (authority.includes("@")) return "The avatar address must not contain a user name or password.";
    if (!authority) return "The avatar address has no host name.";
    const bytes = new TextEncoder().encode(s).length;
    if (bytes > 2048) return `The avatar address is ${bytes} bytes long; at most 2048 fit.`;
    return "";
  }
  var generatedRE = /^lk_[0-9A-Za-z]{46}$/;
  function checkSecret(v) {
    if (v.startsWith("lk_")) {
      return generatedRE.test(v) ? "" : "A value that starts with lk_ must be a whole Latchkey token (49 characters). Choose a value with another start.";
    }
    if (v.length < 32) return `The token value is ${v.length} characters long; it needs at least 32.`;
    if (v.length > 256) return `The token value is ${v.length} characters long; at most 256 fit.`;
    if (/[^\x21-\x7e]/.test(v)) return "The token value may only contain printable ASCII characters, without spaces.";
    return "";
  }
  function problems(all) {
    return Object.fromEntries(Object.entries(all).filter(([, p]) => p));
  }
  function checkWebhookURL(v) {
    const s = trim(v);
    if (!s) return "Enter the address that receives the events.";
    if (s.length > 2048) return `The address is ${s.length} characters long; at most 2048 fit.`;
    let u;
    try {
      u = new URL(s);
    } catch {
      return "Enter a whole web address starting with https://.";
    }
    if (!u.hostname) return "The address has no host name.";
    if (u.username || u.password) return "The address must not contain a user name or password.";
    if (s.includes("#")) return "The address must not contain a # fragment.";
    const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(u.hostname);
    if (u.protocol === "https:") return "";
    if (u.protocol === "http:" && loopback) return "";
    return "The address must start with https:// (plain http only on this machine, for tests).";
  }
  function checkExternalID(v) {
    if (!v) return "";
    if (v.length > 255) return `The external ID is ${v.length} characters long; at most 255 fit.`;
    if (/[^\x21-\x7e]/.test(v)) return "The external ID may only contain visible ASCII characters: letters, digits and punctuation, no spaces.";
    return "";
  }
  var limitNameRE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
  var maxRateLimits = 10;
  var maxLimit = 1e9;
  var maxPeriodSeconds = 366 * 24 * 60 * 60;
  function checkRateLimits(rows) {
    if (rows.length > maxRateLimits) return `At most ${maxRateLimits} rate limits fit; remove ${rows.length - maxRateLimits}.`;
    const seen = /* @__PURE__ */ new Set();
    for (const [i, r] of rows.entries()) {
      const n = trim(r.name);
      const which = n ? `\u201C${n}\u201D` : `number ${i + 1}`;
      if (!n) return `Give rate limit number ${i + 1} a name, such as \u201Crequests\u201D.`;
      if (n.length > 32 || !limitNameRE.test(n))
        return `The rate limit name ${which} may only use letters, digits, \u201C_\u201D, \u201C.\u201D and \u201C-\u201D (1 to 32, starting with a letter or digit).`;
      if (seen.has(n.toLowerCase())) return `Two rate limits are named ${which}; give each its own name.`;
      seen.add(n.toLowerCase());
      const limit = wholeNumber(r.limit);
      if (limit === null || limit < 1 || limit > maxLimit) return `The limit of ${which} must be a whole number from 1 to 1,000,000,000.`;
      const period = wholeNumber(r.period);
      if (period === null || period < 1 || period * r.unit > maxPeriodSeconds) return `The period of ${which} must be a whole number, at least 1 second and at most a year.`;
    }
    return "";
  }
  function wholeNumber(v) {
    const s = trim(v);
    return /^\d{1,15}$/.test(s) ? Number(s) : null;
  }
  function checkWhole(label, v, min, max, optional) {
    if (!trim(v)) return optional ? "" : `Enter the ${label.toLowerCase()}.`;
    const n = wholeNumber(v);
    if (n === null || n < min || n > max) return `The ${label.toLowerCase()} must be a whole number from ${min} to ${max.toLocaleString("en")}.`;
    return "";
  }
  function parseIPv4(s) {
    const parts = s.split(".");
    if (parts.length !== 4) return null;
    const out = [];
    for (const p of parts) {
      if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
      out.push(Number(p));
    }
    return out;
  }
  function parseIPv6(s) {
    if (s.includes("%")) return null;
    const halves = s.split("::");
    if (halves.length > 2) return null;
    const groups = (h) => {
      if (h === "") return [];
      const out = [];
      const parts = h.split(":");
      for (const [i, p] of parts.entries()) {
        if (i === parts.length - 1 && p.includes(".")) {
          const v4 = parseIPv4(p);
          if (!v4) return null;
          out.push(v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]);
        } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) out.push(parseInt(p, 16));
        else return null;
      }
      return out;
    };
    const head = groups(halves[0]);
    const tail = halves.length === 2 ? groups(halves[1]) : [];
    if (!head || !tail) return null;
    if (halves.length === 2 ? head.length + tail.length > 7 : head.length !== 8) return null;
    const all = [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail];
    return all.flatMap((g) => [g >> 8, g & 255]);
  }
  function parseNetwork(text) {
    const s = trim(text);
    const slash = s.indexOf("/");
    const addr = slash < 0 ? s : s.slice(0, slash);
    let bytes = addr.includes(":") ? parseIPv6(addr) : parseIPv4(addr);
    if (!bytes) return null;
    let v6 = bytes.length === 16;
    let bits = bytes.length * 8;
    if (slash >= 0) {
      const b = s.slice(slash + 1);
      if (!/^(0|[1-9]\d{0,2})$/.test(b) || Number(b) > bits) return null;
      bits = Number(b);
    }
    const mapped = v6 && bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 255 && bytes[11] === 255;
    if (mapped) {
      if (bits < 96) return null;
      bytes = bytes.slice(12);
      bits -= 96;
      v6 = false;
    }
    return { v6, bytes, bits };
  }
  function networkWithin(inner, outer) {
    if (inner.v6 !== outer.v6 || outer.bits > inner.bits) return false;
    for (let i = 0; i < outer.bits; i++) {
      const bit = (x) => x[i >> 3] >> 7 - (i & 7) & 1;
      if (bit(inner.bytes) !== bit(outer.bytes)) return false;
    }
    return true;
  }
  function checkNetworks(lines2) {
    if (lines2.length > 100) return `At most 100 networks fit; there are ${lines2.length}.`;
    const bad = lines2.find((l) => !parseNetwork(l));
    if (bad !== void 0) return `\u201C${bad}\u201D is not a network: write a CIDR such as 10.0.0.0/8 or 2001:db8::/32, or a single address.`;
    return "";
  }
  function lines(v) {
    return v.split("\n").map(trim).filter((l) => l !== "");
  }
  var metadataMaxBytes = 4096;
  function checkMetadata(v) {
    if (!trim(v)) return "";
    let value;
    try {
      value = JSON.parse(v);
    } catch (e) {
      return "The metadata is not valid JSON: " + (e instanceof Error ? e.message : String(e)) + ".";
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return 'The metadata must be a JSON object in braces, such as {"team": "billing"}.';
    let keys = 0;
    const utf8 = (s) => new TextEncoder().encode(s).length;
    const walk = (x, depth) => {
      if (typeof x !== "object" || x === null) return "";
      if (depth > 5) return "The metadata may nest objects and arrays at most 5 deep.";
      for (const [k, e] of Array.isArray(x) ? x.map((e2) => ["", e2]) : Object.entries(x)) {
        if (!Array.isArray(x)) {
          if (++keys > 100) return "The metadata may have at most 100 keys in all.";
          if (k === "" || utf8(k) > 128) return "Every metadata key must be 1 to 128 bytes long.";
        }
        const p2 = walk(e, depth + 1);
        if (p2) return p2;
      }
      return "";
    };
    const p = walk(value, 1);
    if (p) return p;
    const size = utf8(JSON.stringify(sortKeys(value)));
    if (size > metadataMaxBytes) return `The metadata takes ${size} bytes as compact JSON; at most ${metadataMaxBytes} fit.`;
    return "";
  }
  function sortKeys(x) {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (typeof x !== "object" || x === null) return x;
    return Object.fromEntries(
      Object.keys(x).sort().map((k) => [k, sortKeys(x[k])])
    );
  }
  return __toCommonJS(validate_exports);
})();
