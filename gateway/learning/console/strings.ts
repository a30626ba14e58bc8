import { LINLI_CLASSES, type LinliClass } from "../../detector/labels/classes.ts";
import { inLang, type Lang, type Texts } from "../../i18n.ts";

/** The labelling page's words, Chinese first. `{name}` placeholders are filled by the page script. */
export const ui = {
  title: { zh: "邻里 · 现场学习 · 标注", en: "linli · Site learning · Labelling" },
  labelling: { zh: "标注", en: "Labelling" },
  queue: { zh: "待标注画面", en: "Collected frames" },
  newest: { zh: "最新", en: "Newest" },
  uncertain: { zh: "最不确定", en: "Most uncertain" },
  order: { zh: "排序", en: "Order" },
  stateFilter: { zh: "状态", en: "State" },
  unlabelled: { zh: "未标注", en: "Unlabelled" },
  labelled: { zh: "已标注", en: "Labelled" },
  all: { zh: "全部", en: "All" },
  liftFilter: { zh: "电梯", en: "Lift" },
  allLifts: { zh: "全部电梯", en: "All lifts" },
  progress: { zh: "已标注 {labelled} 张，今日还剩 {toGo} 张", en: "{labelled} labelled, {toGo} to go today" },
  waiting: { zh: "{n} 张待标注", en: "{n} waiting" },
  empty: { zh: "没有符合条件的画面", en: "No frames match" },
  allDone: { zh: "这一批已经标完了", en: "This batch is done" },
  nothingYet: { zh: "暂无需要标注的画面：电梯阻梯、检测接近阈值或人工标记时，画面会自动收集到这里。", en: "Nothing to label yet: lift frames are collected here when a lift is held, a detection comes close to the threshold, or staff mark one." },
  loading: { zh: "加载中…", en: "Loading…" },
  lift: { zh: "电梯", en: "Lift" },
  capturedAt: { zh: "拍摄时间", en: "Captured" },
  reason: { zh: "收集原因", en: "Kept because" },
  modelScore: { zh: "模型 {model} 电动车最高分 {score}（阈值 {threshold}）", en: "Model {model}: best e-bike score {score} (threshold {threshold})" },
  thresholdOf: { zh: "阈值 {threshold}", en: "threshold {threshold}" },
  labelledBy: { zh: "{by} 标注于 {at}", en: "Labelled by {by} at {at}" },
  notLabelled: { zh: "尚未标注", en: "Not labelled yet" },
  suggestions: { zh: "虚线框为模型的检测结果，仅供参考", en: "Dashed boxes are the model's detections, a starting point" },
  unsaved: { zh: "有未保存的修改", en: "Unsaved changes" },
  saved: { zh: "已保存", en: "Saved" },
  saveFailed: { zh: "保存失败", en: "Saving failed" },
  failed: { zh: "操作失败", en: "Action failed" },
  classes: { zh: "类别", en: "Class" },
  boxes: { zh: "{n} 个框", en: "{n} boxes" },
  accept: { zh: "采用模型的框", en: "Accept the model's boxes" },
  deleteBox: { zh: "删除选中的框", en: "Delete selected box" },
  noEbike: { zh: "无电动车", en: "No e-bike here" },
  save: { zh: "保存", en: "Save" },
  previous: { zh: "上一张", en: "Previous" },
  next: { zh: "下一张", en: "Next" },
  deleteFrame: { zh: "删除此画面", en: "Delete this frame" },
  confirmDelete: { zh: "确认删除？（不可恢复）", en: "Really delete? (cannot be undone)" },
  deleted: { zh: "画面已删除", en: "Frame deleted" },
  model: { zh: "模型", en: "model" },
  shortcuts: { zh: "快捷键", en: "Shortcuts" },
  keyPointer: { zh: "鼠标/手指", en: "Mouse/finger" },
  keyDraw: { zh: "拖动画新框；拖动选中的框可移动，拖动角上的方块可调整大小", en: "drag to draw a box; drag the selected box to move it, its corner squares to resize it" },
  keyClasses: { zh: "选择类别（选中的框或新框）", en: "pick the class (of the selected box, or the next one)" },
  keyDelete: { zh: "删除选中的框", en: "delete the selected box" },
  keyAccept: { zh: "采用模型的框", en: "accept the model's boxes" },
  keyNoEbike: { zh: "无电动车：去掉电动车框，保存并下一张", en: "no e-bike: drop e-bike boxes, save and go to the next frame" },
  keySave: { zh: "保存并下一张", en: "save and go to the next frame" },
  keyMove: { zh: "上一张 / 下一张", en: "previous / next frame" },
  keyEscape: { zh: "取消选中", en: "deselect" },
  models: { zh: "模型管理", en: "Models" },
  active: { zh: "当前模型", en: "Active" },
  shadow: { zh: "影子模型", en: "Shadow" },
  previousModels: { zh: "先前的模型", en: "Previous" },
  none: { zh: "无", en: "none" },
  promotions: { zh: "最近的上线与回滚", en: "Latest promotions and rollbacks" },
  noPromotions: { zh: "还没有上线记录", en: "No promotions yet" },
  candidate: { zh: "候选模型", en: "Candidate" },
  current: { zh: "当前模型", en: "Current" },
  ap50: { zh: "AP50", en: "AP50" },
  ebikeFound: { zh: "找到的电动车画面", en: "E-bike frames found" },
  cleanFlagged: { zh: "误报的无电动车画面", en: "Frames without e-bike flagged" },
  accepted: { zh: "已通过，已上线", en: "Accepted: promoted" },
  refused: { zh: "未通过，未上线", en: "Refused: not promoted" },
  promotion: { zh: "上线", en: "Promotion" },
  rollback: { zh: "回滚", en: "Rollback" },
  rolledBack: { zh: "已回滚：{from} → {to}", en: "Rolled back: {from} → {to}" },
  shadowChanged: { zh: "影子模型：{from} → {to}（只比对，不阻梯）", en: "Shadow model: {from} → {to} (compares only, holds nothing)" },
  by: { zh: "操作人", en: "by" },
  promote: { zh: "评估并上线", en: "Evaluate and promote" },
  promoting: { zh: "正在评估…", en: "Evaluating…" },
  pickModel: { zh: "选择候选模型", en: "Candidate model" },
  confirmRollback: { zh: "确认回滚？", en: "Really roll back?" },
} satisfies Record<string, Texts>;

/** Why the collector kept a frame. */
export const reasonNames = {
  hold: { zh: "阻梯", en: "Lift held" },
  near_miss: { zh: "接近阈值", en: "Near miss" },
  marked: { zh: "人工标记", en: "Marked by staff" },
  negative: { zh: "无电动车样本", en: "Clean sample" },
  disagreement: { zh: "模型分歧", en: "Models disagree" },
} satisfies Record<string, Texts>;

/** The staff's answer when they released a hold. */
export const verdictNames = {
  ebike: { zh: "值班员判定：是电动车", en: "Staff said: e-bike" },
  no_ebike: { zh: "值班员判定：不是电动车", en: "Staff said: no e-bike" },
} satisfies Record<string, Texts>;

/** linli's classes, in the order of their number keys (1-6). */
export const classNames = {
  ebike: { zh: "电动车", en: "E-bike" },
  bicycle: { zh: "自行车", en: "Bicycle" },
  stroller: { zh: "婴儿车", en: "Stroller" },
  wheelchair: { zh: "轮椅", en: "Wheelchair" },
  trolley: { zh: "手推车", en: "Trolley" },
  person: { zh: "人", en: "Person" },
} satisfies Record<LinliClass, Texts>;

/** Everything the page script needs to render in one language. */
export function pageStrings(lang: Lang) {
  const pick = <K extends string>(table: Record<K, Texts>) => inLang(table, lang);
  return { ui: pick(ui), reasons: pick(reasonNames), verdicts: pick(verdictNames), classes: pick(classNames), classOrder: [...LINLI_CLASSES] };
}
