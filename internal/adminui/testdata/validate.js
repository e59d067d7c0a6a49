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
    bytes: () => bytes,
    checkAvatarURL: () => checkAvatarURL,
    checkDescription: () => checkDescription,
    checkExternalID: () => checkExternalID,
    checkJSONObject: () => checkJSONObject,
    checkName: () => checkName,
    checkRateLimits: () => checkRateLimits,
    checkSecret: () => checkSecret,
    checkSlug: () => checkSlug,
    checkWebhookURL: () => checkWebhookURL,
    checkWhole: () => checkWhole,
    length: () => length,
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
  function bytes(v) {
    return new TextEncoder().encode(trim(v)).length;
  }
  function tooLong(what, v, max) {
    const n = length(v);
    if (n > max) return `The ${what} is ${n} characters long; at most ${max} fit.`;
    const b = bytes(v);
    if (b > max)
      return `The ${what} is too long: its letters outside plain English take more room, ${b} bytes in all, and at most ${max} fit. Shorten it.`;
    return "";
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
    const bytes2 = new TextEncoder().encode(s).length;
    if (bytes2 > 2048) return `The avatar address is ${bytes2} bytes long; at most 2048 fit.`;
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
  function checkJSONObject(label, v) {
    const s = trim(v);
    if (!s) return "";
    let value;
    try {
      value = JSON.parse(s);
    } catch (e) {
      return `The ${label.toLowerCase()} is not valid JSON: ${e.message}.`;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value))
      return `The ${label.toLowerCase()} must be a JSON object, in braces: {"team": "payments"}.`;
    let keys = 0;
    let problem = "";
    const walk = (x, depth) => {
      if (problem || x === null || typeof x !== "object") return;
      if (depth > 5) return void (problem = `The ${label.toLowerCase()} nests objects and lists more than 5 deep.`);
      if (Array.isArray(x)) return x.forEach((y) => walk(y, depth + 1));
      for (const [k, y] of Object.entries(x)) {
        if (++keys > 100) return void (problem = `The ${label.toLowerCase()} has more than 100 keys in all.`);
        const n = new TextEncoder().encode(k).length;
        if (n < 1 || n > 128) return void (problem = `Every key of the ${label.toLowerCase()} must be 1 to 128 bytes long.`);
        walk(y, depth + 1);
      }
    };
    walk(value, 1);
    if (problem) return problem;
    const size = new TextEncoder().encode(JSON.stringify(value)).length;
    if (size > 4096) return `The ${label.toLowerCase()} is ${size} bytes as compact JSON; at most 4096 fit.`;
    return "";
  }
  function checkExternalID(v) {
    if (!v) return "";
    if (v.length > 255) return `The external ID is ${v.length} characters long; at most 255 fit.`;
    if (/[^\x21-\x7e]/.test(v)) return "The external ID may only contain visible ASCII characters: letters, digits and punctuation, no spaces.";
    return "";
  }
  function checkRateLimits(rows) {
    if (rows.length > 10) return "At most 10 rate limits fit.";
    const seen = /* @__PURE__ */ new Set();
    for (const [i, r] of rows.entries()) {
      const name = trim(r.name);
      const which = name ? `The rate limit \u201C${name}\u201D` : `Rate limit ${i + 1}`;
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || name.length > 32)
        return `${which}: name it with 1 to 32 letters, digits, \u201C_\u201D, \u201C.\u201D or \u201C-\u201D, starting with a letter or digit.`;
      if (seen.has(name.toLowerCase())) return `Two rate limits are named \u201C${name}\u201D; give each its own name.`;
      seen.add(name.toLowerCase());
      const limit = wholeNumber(r.limit);
      if (limit === null || limit < 1 || limit > 1e9) return `${which}: the limit must be a whole number from 1 to 1,000,000,000.`;
      const period = wholeNumber(r.periodSeconds);
      if (period === null || period < 1 || period > 366 * 86400) return `${which}: the period must be a whole number of seconds from 1 to 31,622,400 (a year).`;
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
  return __toCommonJS(validate_exports);
})();
