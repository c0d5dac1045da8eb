// Platform icons as one inline SVG sprite, bundled: no external requests
// (CSP) and one <use> per row. Each icon has a text alternative.

import type { Translator } from "./i18n";

const paths: Record<string, string> = {
  mastodon:
    "M12 2C6.5 2 4 4.6 4 9.5v4c0 4.8 2.8 7 6.6 7.4 1.8.2 3.6 0 5-.6l-.1-1.8c-1.5.4-3 .5-4.4.3-1.7-.2-2.7-1-2.8-2.6 2.4.5 5 .6 7.4.2 2.5-.4 4.3-2.2 4.3-5V9.5C20 4.6 17.5 2 12 2zm3.8 11.3h-1.9V8.8c0-1-.4-1.5-1.2-1.5-.9 0-1.4.6-1.4 1.8v2.5h-1.9V9.1c0-1.2-.4-1.8-1.3-1.8-.8 0-1.2.5-1.2 1.5v4.5H7V8.6c0-1 .3-1.8.8-2.3.5-.6 1.2-.9 2.1-.9 1 0 1.8.4 2.1 1.2l.5.8.4-.8c.4-.8 1.1-1.2 2.2-1.2.9 0 1.6.3 2.1.9.5.6.7 1.3.7 2.3v4.7z",
  email: "M3 5h18v14H3zm2 2v.4l7 4.6 7-4.6V7zm0 2.8V17h14V9.8l-7 4.6z",
  facebook: "M14 8V6.5c0-.8.2-1.2 1.4-1.2H17V2h-2.6C11.3 2 10 3.6 10 6.3V8H8v3.3h2V22h4V11.3h2.7L17 8z",
  instagram:
    "M7 2h10a5 5 0 015 5v10a5 5 0 01-5 5H7a5 5 0 01-5-5V7a5 5 0 015-5zm0 2a3 3 0 00-3 3v10a3 3 0 003 3h10a3 3 0 003-3V7a3 3 0 00-3-3zm5 3.5a4.5 4.5 0 110 9 4.5 4.5 0 010-9zm0 2a2.5 2.5 0 100 5 2.5 2.5 0 000-5zM17.5 5a1.2 1.2 0 110 2.4 1.2 1.2 0 010-2.4z",
  x: "M3 3h5l4.2 5.8L17 3h3l-6.4 7.5L21 21h-5l-4.6-6.3L6 21H3l7-8.2z",
  bluesky:
    "M6.3 4.2C8.6 5.9 11 9.4 12 11.3c1-1.9 3.4-5.4 5.7-7.1 1.6-1.2 4.3-2.2 4.3.9 0 .6-.4 5.2-.6 5.9-.7 2.6-3.3 3.2-5.6 2.8 4 .7 5 3 2.8 5.2-4.2 4.3-6-1.1-6.5-2.5l-.1-.3-.1.3c-.5 1.4-2.3 6.8-6.5 2.5-2.2-2.2-1.2-4.5 2.8-5.2-2.3.4-4.9-.2-5.6-2.8C2.4 10.3 2 5.7 2 5.1c0-3.1 2.7-2.1 4.3-.9z",
  telegram: "M2 11.5L21 4l-3 16-5.5-4-3 3 .5-4.5L18 7 8 13z",
  whatsapp:
    "M12 2a10 10 0 00-8.6 15.1L2 22l5-1.3A10 10 0 1012 2zm0 2a8 8 0 11-4.1 14.9l-.3-.2-3 .8.8-2.9-.2-.3A8 8 0 0112 4zm-3 4c-.2 0-.6.1-.8.4-.3.3-1 1-1 2.4s1 2.8 1.2 3c.1.2 2 3.2 5 4.4 2.5 1 3 .8 3.5.7.6-.1 1.7-.7 2-1.4.2-.7.2-1.2.2-1.4l-.5-.3-1.8-.9c-.3-.1-.4-.1-.6.1l-.8 1c-.2.2-.3.2-.6.1-.3-.2-1.2-.5-2.3-1.4-.8-.8-1.4-1.7-1.6-2-.1-.3 0-.4.1-.5l.4-.5.3-.4v-.5l-.8-2c-.2-.5-.4-.4-.6-.4z",
  webform: "M4 3h16v18H4zm2 2v14h12V5zm2 2h8v2H8zm0 4h8v2H8zm0 4h5v2H8z",
  youtube:
    "M21.6 7.2a2.5 2.5 0 00-1.8-1.8C18.2 5 12 5 12 5s-6.2 0-7.8.4A2.5 2.5 0 002.4 7.2C2 8.8 2 12 2 12s0 3.2.4 4.8a2.5 2.5 0 001.8 1.8C5.8 19 12 19 12 19s6.2 0 7.8-.4a2.5 2.5 0 001.8-1.8c.4-1.6.4-4.8.4-4.8s0-3.2-.4-4.8zM10 15V9l5.2 3z",
  comment: "M4 4h16v12H8l-4 4z",
  dm: "M12 2a5 5 0 015 5v3h1v12H6V10h1V7a5 5 0 015-5zm0 2a3 3 0 00-3 3v3h6V7a3 3 0 00-3-3z",
  mail: "M3 5h18v14H3zm2 2v.4l7 4.6 7-4.6V7z",
  warn: "M12 2L1 21h22zm-1 7h2v6h-2zm0 8h2v2h-2z",
  clock: "M12 2a10 10 0 110 20 10 10 0 010-20zm0 2a8 8 0 100 16 8 8 0 000-16zm-1 3h2v5l4 2.4-1 1.7-5-3z",
  check: "M9 16.2l-4.2-4.2L3.4 13.4 9 19 21 7l-1.4-1.4z",
};

/** Sprite renders the symbols once; Icon refers to them. */
export function Sprite() {
  return (
    <svg width="0" height="0" class="sprite" aria-hidden="true" focusable="false">
      {Object.entries(paths).map(([id, d]) => (
        <symbol id={"i-" + id} viewBox="0 0 24 24" key={id}>
          <path d={d} fill="currentColor" />
        </symbol>
      ))}
    </svg>
  );
}

/** Icon shows a sprite symbol with its text alternative (or hidden if decorative). */
export function Icon({ name, label, cls }: { name: string; label?: string; cls?: string }) {
  const id = paths[name] ? name : "webform";
  return (
    <svg class={"icon " + (cls ?? "")} role={label ? "img" : undefined} aria-hidden={label ? undefined : "true"} aria-label={label} focusable="false">
      {label ? <title>{label}</title> : null}
      <use href={"#i-" + id} />
    </svg>
  );
}

/** PlatformIcon shows a platform's icon labelled with its name. */
export function PlatformIcon({ platform, t }: { platform: string; t: Translator }) {
  return <Icon name={platform} cls={"pf pf-" + platform} label={t(("pf_" + platform) as any) || platform} />;
}
