import { test } from "node:test";
import assert from "node:assert/strict";
import { ageText, fill, sla } from "./format";
import { translator } from "./i18n";

const now = Date.parse("2026-03-10T12:00:00Z");
const ago = (h: number) => new Date(now - h * 3600000).toISOString();

test("sla by age and priority", () => {
  const cases: [number, "low" | "normal" | "high" | "urgent", string][] = [
    [0.1, "urgent", "ok"],
    [1, "urgent", "warn"],
    [3, "urgent", "late"],
    [3, "normal", "ok"],
    [30, "normal", "warn"],
    [49, "normal", "late"],
    [49, "low", "ok"],
    [5, "high", "warn"],
  ];
  for (const [h, p, want] of cases) assert.equal(sla(ago(h), p, now), want, `${h}h ${p}`);
});

test("age in German and English", () => {
  const de = translator("de");
  const en = translator("en");
  assert.equal(ageText(ago(0), now, de), "gerade eben");
  assert.equal(ageText(ago(0.5), now, de), "vor 30 Min.");
  assert.equal(ageText(ago(5), now, de), "vor 5 Std.");
  assert.equal(ageText(ago(50), now, de), "vor 2 Tagen");
  assert.equal(ageText(ago(50), now, en), "2 days ago");
  assert.equal(translator("fr")("logout"), "Abmelden");
});

test("canned answer placeholders", () => {
  assert.equal(fill("Hallo {name}, zu {nummer}: {unbekannt}", { name: "Frau Berg", nummer: "A-1" }), "Hallo Frau Berg, zu A-1: {unbekannt}");
});
