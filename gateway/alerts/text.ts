import type { Lang } from "../i18n.ts";
import { alertTypeModule } from "./rules/index.ts";
import type { Alert } from "./types.ts";

/** The alert's details as a sentence in the reader's language, by its own type's module; the rule's summary when there is nothing better. */
export function summaryText(a: Pick<Alert, "type" | "summary" | "details">, lang: Lang, timeZone: string): string {
  const module = alertTypeModule.get(a.type);
  const details = module?.details.safeParse(a.details);
  if (!module || !details?.success) return a.summary;
  return module.text(details.data, a.type, lang, timeZone) || a.summary;
}
