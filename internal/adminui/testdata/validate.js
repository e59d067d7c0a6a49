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
    checkName: () => checkName,
    checkSecret: () => checkSecret,
    checkSlug: () => checkSlug,
    length: () => length,
    problems: () => problems,
    suggestSlug: () => suggestSlug,
    trim: () => trim
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
  return __toCommonJS(validate_exports);
})();
