// Dates as the admin shows them: relative to now ("in 6 days", "2 hours
// ago") with the absolute time, seconds and UTC offset a hover away (and in
// the text a screen reader reads), or absolute in full where the exact
// moment matters (the audit log).
import { useEffect, useState } from "preact/hooks";

const minute = 60e3;
const hour = 60 * minute;
const day = 24 * hour;

/** A token that expires within this is marked "expires soon". */
export const expiresSoonWithin = 7 * day;

/** The UTC offset of the browser's time zone at d, as "UTC+01:00" ("UTC" at zero). */
export function utcOffset(d: Date): string {
  const m = -d.getTimezoneOffset();
  if (m === 0) return "UTC";
  const a = Math.abs(m);
  const p = (n: number) => String(n).padStart(2, "0");
  return `UTC${m > 0 ? "+" : "−"}${p(Math.floor(a / 60))}:${p(a % 60)}`;
}

const periods: [number, string][] = [
  [86400, "day"],
  [3600, "hour"],
  [60, "minute"],
  [1, "second"],
];

/**
 * A length of time in the largest unit that divides it: 7200 → "2 hours".
 * One unit is "minute" after "per" and, standing alone, "a minute".
 */
export function periodText(seconds: number, alone = false): string {
  const [size, name] = periods.find(([u]) => seconds >= u && seconds % u === 0) ?? [1, "second"];
  const n = seconds / size;
  if (n !== 1) return `${n.toLocaleString("en")} ${name}s`;
  return alone ? (name === "hour" ? "an " : "a ") + name : name;
}

/** The moment in full: date, time with seconds, and UTC offset. */
export function formatAbsolute(iso: string): string {
  const d = new Date(iso);
  return (
    d.toLocaleString(undefined, {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }) +
    " " +
    utcOffset(d)
  );
}

/** The day only, as in "Currently expires: Mar 9, 2026". */
export function formatDay(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** The moment relative to now: "in 6 days", "2 hours ago", "now". */
export function formatRelative(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  const a = Math.abs(ms);
  if (a < 45e3) return "now";
  const [n, unit]: [number, Intl.RelativeTimeFormatUnit] =
    a < hour
      ? [ms / minute, "minute"]
      : a < day
        ? [ms / hour, "hour"]
        : a < 30 * day
          ? [ms / day, "day"]
          : a < 365 * day
            ? [ms / (30.44 * day), "month"]
            : [ms / (365.25 * day), "year"];
  return relative.format(Math.round(n), unit);
}

/** Whether an active token's expiry is near. */
export function expiresSoon(expiresAt: string | null | undefined, now = Date.now()): boolean {
  if (!expiresAt) return false;
  const left = new Date(expiresAt).getTime() - now;
  return left > 0 && left <= expiresSoonWithin;
}

// One clock for every relative time on screen, ticking once a minute, so
// "2 minutes ago" does not go stale while the page stays open.
let clockNow = Date.now();
const clockListeners = new Set<(n: number) => void>();
let clockTimer: ReturnType<typeof setInterval> | undefined;

function useNow(): number {
  const [now, setNow] = useState(clockNow);
  useEffect(() => {
    clockListeners.add(setNow);
    if (!clockTimer)
      clockTimer = setInterval(() => {
        clockNow = Date.now();
        clockListeners.forEach((l) => l(clockNow));
      }, minute);
    setNow((clockNow = Date.now()));
    return () => {
      clockListeners.delete(setNow);
      if (clockListeners.size === 0) {
        clearInterval(clockTimer);
        clockTimer = undefined;
      }
    };
  }, []);
  return now;
}

/**
 * A moment on screen. "relative" (the default) shows "in 6 days" with the
 * absolute time as the tooltip and, for screen readers, in hidden text;
 * "absolute" shows the full time and gives the relative one as the tooltip;
 * "both" shows both.
 * Without a moment it shows `empty`.
 */
export function When(props: { iso: string | null | undefined; empty?: string; mode?: "relative" | "absolute" | "both" }) {
  const now = useNow();
  if (!props.iso) return <span class="when when-empty">{props.empty ?? "—"}</span>;
  const abs = formatAbsolute(props.iso);
  const rel = formatRelative(props.iso, now);
  if (props.mode === "both") {
    return (
      <time class="when" dateTime={props.iso}>
        {rel} <span class="muted">· {abs}</span>
      </time>
    );
  }
  if (props.mode === "absolute") {
    return (
      <time class="when" dateTime={props.iso} title={rel}>
        {abs}
      </time>
    );
  }
  return (
    <time class="when" dateTime={props.iso} title={abs} data-absolute={abs}>
      {rel}
      <span class="visually-hidden"> ({abs})</span>
    </time>
  );
}
