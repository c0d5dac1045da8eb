import { useApp } from "../ctx";

export function Admin({ tab }: { tab: string }) {
  const { t } = useApp();
  return <h1 tabIndex={-1}>{t("loading")} {String(tab)}</h1>;
}
