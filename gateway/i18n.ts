/** The languages staff read linli in: Chinese first (the guard room), English beside it. */
export type Lang = "zh" | "en";

/** A text in both languages. */
export type Texts = Record<Lang, string>;

/** A table of texts in one language, for a page script that renders in that language. */
export function inLang<K extends string>(table: Record<K, Texts>, lang: Lang): Record<K, string> {
  return Object.fromEntries(Object.entries<Texts>(table).map(([k, v]) => [k, v[lang]])) as Record<K, string>;
}
