import { useApp } from "../ctx";

export function TicketView({ id }: { id: number }) {
  const { t } = useApp();
  return <h1 tabIndex={-1}>{t("loading")} {String(id)}</h1>;
}
