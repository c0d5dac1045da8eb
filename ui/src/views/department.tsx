import { useApp } from "../ctx";

export function DepartmentView() {
  const { t } = useApp();
  return <h1 tabIndex={-1}>{t("loading")}</h1>;
}
