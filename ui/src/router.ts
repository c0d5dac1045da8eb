// A hash router: "#/tickets/12". Hash routes need nothing from the server
// (every path is index.html) and survive reloads. preact-router would add
// a dependency for what is these few lines.

import { useEffect, useState } from "preact/hooks";

/** Route is the parsed location. */
export interface Route {
  path: string[]; // "#/tickets/12" → ["tickets", "12"]
  query: URLSearchParams;
}

/** parse reads a hash such as "#/search?q=x". */
export function parse(hash: string): Route {
  const h = hash.replace(/^#\/?/, "");
  const [p, q = ""] = h.split("?", 2);
  return { path: p.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q) };
}

/** href builds a link target. */
export function href(path: string, query?: Record<string, string>): string {
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString() : "";
  return "#" + path + (q ? "?" + q : "");
}

/** go navigates. */
export function go(path: string, query?: Record<string, string>) {
  location.hash = href(path, query);
}

/** useRoute re-renders on navigation. */
export function useRoute(): Route {
  const [r, setR] = useState(() => parse(location.hash));
  useEffect(() => {
    const on = () => setR(parse(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return r;
}
