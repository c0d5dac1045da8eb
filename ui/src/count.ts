// Reply length as each platform counts it, so the composer can show a
// counter and stop a reply the platform would reject.

import type { Capabilities } from "./types";

/** Unit says how a platform counts: plain graphemes or X's weighted count. */
export type Unit = "graphemes" | "weighted";

/** Limit is a platform's reply limit; max 0 means none. */
export interface Limit {
  max: number;
  urlLength: number; // a URL counts this much; 0 = as written
  unit: Unit;
}

// Per-platform limits used when the channel reports no capabilities. Values
// are the platforms' documented reply limits; Facebook and Instagram allow
// long comments but short private messages.
const table: Record<string, { comment: Limit; dm: Limit }> = {
  mastodon: both({ max: 500, urlLength: 23, unit: "graphemes" }),
  x: both({ max: 280, urlLength: 23, unit: "weighted" }),
  bluesky: both({ max: 300, urlLength: 0, unit: "graphemes" }),
  telegram: both({ max: 4096, urlLength: 0, unit: "graphemes" }),
  whatsapp: both({ max: 4096, urlLength: 0, unit: "graphemes" }),
  facebook: {
    comment: { max: 8000, urlLength: 0, unit: "graphemes" },
    dm: { max: 2000, urlLength: 0, unit: "graphemes" },
  },
  instagram: {
    comment: { max: 8000, urlLength: 0, unit: "graphemes" },
    dm: { max: 2000, urlLength: 0, unit: "graphemes" },
  },
  youtube: both({ max: 10000, urlLength: 0, unit: "graphemes" }),
  email: both({ max: 0, urlLength: 0, unit: "graphemes" }),
  webform: both({ max: 0, urlLength: 0, unit: "graphemes" }),
};

function both(l: Limit) {
  return { comment: l, dm: l };
}

/**
 * limitFor returns the reply limit for a platform and ticket kind. Channel
 * capabilities from the API win over the built-in table.
 */
export function limitFor(platform: string, kind: string, caps?: Capabilities | null): Limit {
  const row = table[platform] ?? table.email;
  const base = kind === "dm" ? row.dm : row.comment;
  if (!caps) return base;
  return {
    max: caps.max_reply_length ?? base.max,
    urlLength: caps.url_length ?? base.urlLength,
    unit: base.unit,
  };
}

// URLs as Mastodon and X recognise them: a scheme and no whitespace.
const urlRe = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'"]/gu;
// Mastodon counts a mention only by its user part (@name@host → @name).
const mentionRe = /(@[A-Za-z0-9_]+)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

let segmenter: Intl.Segmenter | undefined;
const latin1Re = /^[\u0000-\u00ff]*$/;

/** graphemes counts user-perceived characters (👩‍👩‍👧 is one). */
export function graphemes(s: string): number {
  // Latin-1 text has no combining marks or emoji: one code unit is one
  // grapheme except CR LF. Segmenting long mails is slow, so skip it.
  if (latin1Re.test(s)) return s.length - (s.match(/\r\n/g)?.length ?? 0);
  segmenter ??= new Intl.Segmenter("de", { granularity: "grapheme" });
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
}

const emojiRe = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

// twitter-text v3: code points in these ranges weigh 1, all others 2, and
// an emoji sequence weighs 2 as a whole.
function weightOf(cp: number): number {
  if (cp <= 4351 || (cp >= 8192 && cp <= 8205) || (cp >= 8208 && cp <= 8223) || (cp >= 8242 && cp <= 8247)) {
    return 1;
  }
  return 2;
}

function weighted(s: string): number {
  segmenter ??= new Intl.Segmenter("de", { granularity: "grapheme" });
  let n = 0;
  for (const { segment } of segmenter.segment(s.normalize("NFC"))) {
    if (emojiRe.test(segment)) {
      n += 2;
      continue;
    }
    for (const ch of segment) n += weightOf(ch.codePointAt(0)!);
  }
  return n;
}

/** Count is the result of counting a reply against a limit. */
export interface Count {
  used: number;
  max: number; // 0 = no limit
  over: boolean;
}

/** count measures text as the platform will. */
export function count(text: string, limit: Limit): Count {
  let urls = 0;
  let rest = text;
  if (limit.urlLength > 0) {
    rest = text.replace(urlRe, () => {
      urls++;
      return "";
    });
  }
  if (limit.unit === "graphemes" && limit.urlLength > 0) {
    rest = rest.replace(mentionRe, "$1");
  }
  const used = (limit.unit === "weighted" ? weighted(rest) : graphemes(rest)) + urls * limit.urlLength;
  return { used, max: limit.max, over: limit.max > 0 && used > limit.max };
}
