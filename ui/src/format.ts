// Formatting helpers for ages, dates and the SLA state of a ticket.

import type { Translator } from "./i18n";
import type { Priority } from "./types";

/** ageText says how long ago iso was, coarsely. */
export function ageText(iso: string, now: number, t: Translator): string {
  const min = Math.max(0, Math.floor((now - Date.parse(iso)) / 60000));
  if (min < 1) return t("justNow");
  if (min < 60) return t("minutesAgo", { n: min });
  const h = Math.floor(min / 60);
  if (h < 24) return t("hoursAgo", { n: h });
  return t("daysAgo", { n: Math.floor(h / 24) });
}

/** SLA is how urgent a ticket has become. */
export type SLA = "ok" | "warn" | "late";

// Hours after which a ticket is due soon / overdue, by priority. Urgent
// means danger to people; the rest follow the usual "answer within two
// working days" promise of German town halls.
const slaHours: Record<Priority, [number, number]> = {
  urgent: [0.5, 2],
  high: [4, 8],
  normal: [24, 48],
  low: [72, 120],
};

/** sla returns the SLA state of a ticket created at iso with priority p. */
export function sla(iso: string, p: Priority, now: number): SLA {
  const h = (now - Date.parse(iso)) / 3600000;
  const [warn, late] = slaHours[p] ?? slaHours.normal;
  return h >= late ? "late" : h >= warn ? "warn" : "ok";
}

/** dateTime formats an ISO time for the UI's locale. */
export function dateTime(iso: string, loc: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return d.toLocaleString(loc, { dateStyle: "medium", timeStyle: "short" });
}

/** fill replaces {name} placeholders in a canned answer. */
export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
}
