import { useApp } from "../ctx";

export function SearchView({ query }: { query: URLSearchParams }) {
  const { t } = useApp();
  return <h1 tabIndex={-1}>{t("loading")} {String(query)}</h1>;
}
