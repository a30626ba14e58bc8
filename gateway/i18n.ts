/** The languages staff read linli in: Chinese first (the guard room), English beside it. */
export type Lang = "zh" | "en";

/** A text in both languages. */
export type Texts = Record<Lang, string>;
