// Finds personal data in a citizen's public comment, so that staff answer
// by direct message instead of repeating it in public. German formats; it
// errs towards warning, since a false alarm costs one glance.

/** PIIKind names a kind of personal data. */
export type PIIKind = "iban" | "phone" | "address" | "birthdate" | "id";

/** Finding is one piece of personal data found in a text. */
export interface Finding {
  kind: PIIKind;
  match: string;
  index: number;
}

// IBAN: two letters, two check digits, 11-30 alphanumerics, often grouped in fours.
const ibanRe = /\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?)\b/g;

/** validIBAN checks the ISO 13616 mod-97 checksum. */
export function validIBAN(raw: string): boolean {
  const s = raw.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  if (s.startsWith("DE") && s.length !== 22) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = ch >= "A" ? (ch.charCodeAt(0) - 55).toString() : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}

// Phone: +49 or 0049 or a leading 0 area code, then digits grouped by
// spaces, slashes or dashes; at least 7 digits after the prefix.
const phoneRe = /(?<![\w.,])(?:\+49|0049|0)[\s/-]?\(?\d{2,5}\)?(?:[\s/-]?\d){4,10}(?![\w])/g;

// Address: a street name ending in a usual suffix, then a house number.
// No nested quantifiers here: comments are untrusted input, and a
// backtracking pattern would hang the browser tab.
const streetSuffix =
  "(?:[Ss]tra(?:ß|ss)e|[Ss]tr\\.|[Ww]eg|[Gg]asse|[Aa]llee|[Pp]latz|[Rr]ing|[Dd]amm|[Uu]fer|[Cc]haussee|[Ss]teig|[Pp]fad|[Mm]arkt)";
const addressRe = new RegExp(
  `\\b(?:[A-ZÄÖÜ][a-zäöüß]+[ -]){0,2}[A-ZÄÖÜa-zäöüß]*${streetSuffix}\\s{1,3}\\d{1,4}(?:\\s?[a-zA-Z])?\\b`,
  "gu",
);
// A postcode and town: 5 digits and a capitalised word.
const postcodeRe = /\b\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+/g;

// Dates of birth: dd.mm.yyyy (or "geb. am 3. Mai 1980") next to a hint,
// or any full date with a year a living adult was born in.
const dateRe = /\b(\d{1,2})\.\s?(\d{1,2}|Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)\.?\s?(\d{4})\b/g;
const birthHintRe = /(geb\.|geboren|geburts|jahrgang)/i;

// ID numbers: Personalausweis/Reisepass (9 characters from the ICAO set
// without vowels), Steuer-ID (11 digits), Rentenversicherungsnummer
// (12 characters: 8 digits, a letter, 3 digits), when named as such or
// shaped unmistakably.
const idHintRe = /(ausweis|pass|steuer-?id|identifikationsnummer|versicherungsnummer|kennnummer|dokumentennummer)/i;
const idDocRe = /\b[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}\b/g;
const steuerIdRe = /\b\d{2}\s?\d{3}\s?\d{3}\s?\d{3}\b/g;
const rvnrRe = /\b\d{2}\s?\d{6}\s?[A-Z]\s?\d{3}\b/g;

/** findPII returns the personal data found in text, in order of position. */
export function findPII(text: string): Finding[] {
  const out: Finding[] = [];
  const add = (kind: PIIKind, m: RegExpMatchArray) => {
    const index = m.index ?? 0;
    if (out.some((f) => index < f.index + f.match.length && f.index < index + m[0].length)) return;
    out.push({ kind, match: m[0], index });
  };
  for (const m of text.matchAll(ibanRe)) if (validIBAN(m[1])) add("iban", m);
  for (const m of text.matchAll(rvnrRe)) add("id", m);
  const hintId = idHintRe.test(text);
  for (const m of text.matchAll(idDocRe)) {
    if (hintId || /\d/.test(m[0])) add("id", m);
  }
  if (hintId) for (const m of text.matchAll(steuerIdRe)) add("id", m);
  const hintBirth = birthHintRe.test(text);
  for (const m of text.matchAll(dateRe)) {
    const year = Number(m[3]);
    const near = text.slice(Math.max(0, (m.index ?? 0) - 40), m.index);
    if ((hintBirth && birthHintRe.test(near)) || (year >= 1920 && year <= new Date().getFullYear() - 14)) {
      add("birthdate", m);
    }
  }
  for (const m of text.matchAll(phoneRe)) {
    if (m[0].replace(/\D/g, "").length >= 7) add("phone", m);
  }
  for (const m of text.matchAll(addressRe)) add("address", m);
  for (const m of text.matchAll(postcodeRe)) add("address", m);
  return out.sort((a, b) => a.index - b.index);
}
