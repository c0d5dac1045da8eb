// Search: one box, hits with highlighted snippets, facets as filters.

import { useEffect, useRef, useState } from "preact/hooks";
import { api, qs } from "../api";
import { deptName, useApp } from "../ctx";
import { dateTime } from "../format";
import { PlatformIcon } from "../icons";
import { go, href } from "../router";
import type { SearchResult } from "../types";
import { moveFocus, useListKeys } from "./rows";

const facetKeys = ["department", "platform", "status", "tag", "month"] as const;

/** monthRange turns a month facet term ("2026-03") into from/to times. */
export function monthRange(m: string): { from: string; to: string } | null {
  const r = /^(\d{4})-(\d{2})$/.exec(m);
  if (!r) return null;
  const y = Number(r[1]);
  const mo = Number(r[2]);
  const from = new Date(Date.UTC(y, mo - 1, 1));
  const to = new Date(Date.UTC(y, mo, 1));
  return { from: from.toISOString(), to: to.toISOString() };
}

export function SearchView({ query }: { query: URLSearchParams }) {
  const ctx = useApp();
  const { t, loc } = ctx;
  const q = query.get("q") ?? "";
  const [input, setInput] = useState(q);
  const [res, setRes] = useState<SearchResult | null>(null);
  const [err, setErr] = useState("");
  const listRef = useRef<HTMLOListElement>(null);
  const filters: Record<string, string> = {};
  for (const k of facetKeys) {
    const v = query.get(k);
    if (v) filters[k] = v;
  }
  const key = query.toString();

  useEffect(() => setInput(q), [q]);
  const inputRef = useRef<HTMLInputElement>(null);
  // autofocus works only on page load; the view also opens by "/".
  useEffect(() => {
    if (!q) inputRef.current?.focus();
  }, []);
  useEffect(() => {
    if (!q.trim()) {
      setRes(null);
      return;
    }
    setErr("");
    const month = filters.month ? monthRange(filters.month) : null;
    api<SearchResult>("GET", "/search" + qs({ q, department: filters.department, platform: filters.platform, status: filters.status, tag: filters.tag, from: month?.from, to: month?.to, limit: 50 }))
      .then(setRes, (e) => setErr((e as Error).message));
  }, [key]);
  useListKeys(listRef);

  const submit = (e: Event) => {
    e.preventDefault();
    const hits = res?.hits ?? [];
    // Enter on an unchanged query opens the first hit: search, then one key.
    if (input.trim() === q && hits.length) {
      go("/tickets/" + hits[0].ticket_id);
      return;
    }
    go("/search", { ...filters, q: input.trim() });
  };
  const toggle = (k: string, v: string) => {
    const f = { ...filters };
    if (f[k] === v) delete f[k];
    else f[k] = v;
    go("/search", { ...f, q });
  };
  const label = (k: string, term: string) => {
    if (k === "department") return deptName(ctx, term);
    if (k === "platform") return t(("pf_" + term) as any);
    if (k === "status") return t(("st_" + term) as any);
    return term;
  };
  const hits = res?.hits ?? [];
  return (
    <section aria-labelledby="search-h">
      <h1 id="search-h" tabIndex={-1}>{t("searchTitle")}</h1>
      <form class="search-form" role="search" onSubmit={submit}>
        <label for="search-q" class="sr">{t("searchLabel")}</label>
        <input id="search-q" ref={inputRef} type="search" value={input} aria-keyshortcuts="/"
          onInput={(e) => setInput(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === "ArrowDown") { e.preventDefault(); moveFocus(listRef.current, 1); } }} />
        <button type="submit" class="primary">{t("searchButton")}</button>
      </form>
      {Object.keys(filters).length ? (
        <div class="chips">
          {Object.entries(filters).map(([k, v]) => (
            <button type="button" key={k} onClick={() => toggle(k, v)} aria-label={t("removeFilter", { f: label(k, v) })}>
              {t(("facet_" + k) as any)}: {label(k, v)} ×
            </button>
          ))}
        </div>
      ) : null}
      {err ? <p class="error" role="alert">{err}</p> : null}
      {res ? (
        <div class="search-grid">
          <aside aria-label={t("facets")}>
            <h2>{t("facets")}</h2>
            {facetKeys.map((k) => {
              const fs = res.facets?.[k] ?? [];
              if (!fs.length) return null;
              return (
                <div class="facet" key={k}>
                  <h3>{t(("facet_" + k) as any)}</h3>
                  <ul>
                    {fs.map((f) => (
                      <li key={f.term}>
                        <button type="button" aria-pressed={filters[k] === f.term} onClick={() => toggle(k, f.term)}>
                          {label(k, f.term)}
                        </button>{" "}
                        <span class="muted">({f.count})</span>
                      </li>
                    ))}
                  </ul>
                </div>
              );
            })}
          </aside>
          <div>
            <p role="status">{hits.length ? t("results", { n: res.total }) : t("noResults")}</p>
            <ol class="hits" ref={listRef}>
              {hits.map((h) => (
                <li key={h.message_id}>
                  <PlatformIcon platform={h.platform} t={t} />{" "}
                  <a class="open" href={href("/tickets/" + h.ticket_id)}>{h.number}</a>{" "}
                  <span class="muted">
                    {deptName(ctx, h.department)} · {t(("st_" + h.status) as any)} · {h.direction === "in" ? t("inbound") : t("outbound")} ·{" "}
                    <time dateTime={h.created_at}>{dateTime(h.created_at, loc)}</time>
                  </span>
                  {/* The snippet is escaped by the server; only <mark> is markup. */}
                  <p class="snippet" dangerouslySetInnerHTML={{ __html: h.snippet }} />
                </li>
              ))}
            </ol>
          </div>
        </div>
      ) : null}
    </section>
  );
}
