import { test } from "node:test";
import assert from "node:assert/strict";
import { findPII, validIBAN } from "./pii";

const kinds = (s: string) => findPII(s).map((f) => f.kind);

test("IBAN checksum", () => {
  assert.equal(validIBAN("DE89 3704 0044 0532 0130 00"), true);
  assert.equal(validIBAN("DE89370400440532013000"), true);
  assert.equal(validIBAN("DE89 3704 0044 0532 0130 01"), false);
  assert.equal(validIBAN("DE89 3704"), false);
  assert.equal(validIBAN("AT611904300234573201"), true);
});

test("finds German personal data", () => {
  const cases: [string, string[]][] = [
    ["Bitte buchen Sie von DE89 3704 0044 0532 0130 00 ab.", ["iban"]],
    ["Meine IBAN ist DE89370400440532013000, danke", ["iban"]],
    ["Erreichbar unter 0171 2345678 oder +49 30 1234567", ["phone", "phone"]],
    ["Ruf an: 030/12345678", ["phone"]],
    ["Ich wohne in der Lindenstraße 12a, 12345 Musterstadt", ["address", "address"]],
    ["Am Marktplatz 3 ist die Laterne kaputt", ["address"]],
    ["Hauptstr. 5", ["address"]],
    ["Ich bin geb. am 03.04.1985 und brauche eine Bescheinigung", ["birthdate"]],
    ["geboren 3. Mai 1980", ["birthdate"]],
    ["Meine Personalausweisnummer ist L01X00T47", ["id"]],
    ["Ausweis T22000129 verloren", ["id"]],
    ["Meine Steuer-ID lautet 12 345 678 901", ["id"]],
    ["Rentenversicherungsnummer 12 150385 M 123", ["id"]],
  ];
  for (const [s, want] of cases) assert.deepEqual(kinds(s), want, s);
});

test("ordinary comments raise no warning", () => {
  const clean = [
    "",
    "Wann wird der Sperrmüll in der Innenstadt abgeholt?",
    "Die Ampel an der Kreuzung ist seit 3 Tagen kaputt.",
    "Ich habe am 12.05.2026 einen Termin, kann ich den verschieben?",
    "Der Bus 42 fährt nicht. Um 7.30 Uhr stand ich da.",
    "Die Gebühr von 1.250 Euro ist zu hoch",
    "Warum ist der Personalausweis so teuer?",
    "Ist das Hallenbad am Wochenende geöffnet?",
    "Postleitzahl? Keine Ahnung",
  ];
  for (const s of clean) assert.deepEqual(kinds(s), [], s);
});

test("findings carry position and text", () => {
  const s = "Tel. 0171 2345678";
  const [f] = findPII(s);
  assert.equal(f.kind, "phone");
  assert.equal(s.slice(f.index, f.index + f.match.length), f.match);
  assert.equal(f.match.replace(/\D/g, ""), "01712345678");
});

test("adversarial input does not backtrack for ever", () => {
  const long = "Aaaa-".repeat(2000) + "!";
  assert.deepEqual(kinds(long), []);
  assert.deepEqual(kinds("0".repeat(5000)), []);
  assert.deepEqual(kinds("Straße ".repeat(2000)), []);
});
