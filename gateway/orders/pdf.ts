import { existsSync, readFileSync } from "node:fs";
import { placeText, timeText } from "../alerts/i18n.ts";
import type { EvidenceStore } from "../evidence/store.ts";
import type { Lang } from "../i18n.ts";
import { contentSha256 } from "./chain.ts";
import { eventNames, reasonNames, stateNames, typeNames } from "./strings.ts";
import type { OrderRecord, WorkOrder } from "./types.ts";

/** The CJK font Debian's fonts-wqy-microhei installs (the CI and the test setup install it). */
export const CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

const L = {
  title: { zh: "工单", en: "Work order" },
  type: { zh: "类型", en: "Type" },
  state: { zh: "状态", en: "State" },
  place: { zh: "地点", en: "Place" },
  description: { zh: "内容", en: "Description" },
  assignee: { zh: "处理人", en: "Assignee" },
  created: { zh: "创建", en: "Created" },
  due: { zh: "截止", en: "Due" },
  alert: { zh: "来源告警", en: "From alert" },
  closed: { zh: "关闭原因", en: "Closed as" },
  history: { zh: "处理记录（哈希链）", en: "History (hash chain)" },
  photos: { zh: "现场照片", en: "Photos" },
  signatures: { zh: "签字", en: "Signatures" },
  worker: { zh: "维修人签字", en: "Worker" },
  supervisor: { zh: "主管验收签字", en: "Supervisor" },
  content: { zh: "签字时工单内容 SHA-256", en: "SHA-256 of the order when signed" },
  now: { zh: "导出时工单内容 SHA-256", en: "SHA-256 of the order as exported" },
} as const;

/** An image at the cursor in a box of its own; the text goes on below the box, never over the picture. */
function picture(doc: PDFKit.PDFDocument, bytes: Buffer, width: number, height: number): void {
  const y = doc.y;
  doc.image(bytes, doc.x, y, { fit: [width, height] });
  doc.y = y + height + 4;
}

/**
 * A work order as a PDF for the file or an auditor: its fields, every record of its history with
 * the record's hash, the photos and the drawn signatures with what each signed.
 */
export async function orderPdf(order: WorkOrder, history: OrderRecord[], evidence: EvidenceStore, nameOf: (user: string) => string, lang: Lang, timeZone: string): Promise<Buffer> {
  // loaded on first use: pdfkit and its font engine are about 25 MB of memory, kept by a gateway
  // that loaded them at start whether anyone ever printed an order or not
  const { default: PDFDocument } = await import("pdfkit");
  const doc = new PDFDocument({ size: "A4", margin: 48, info: { Title: `${L.title[lang]} ${order.id}`, Creator: "linli" } });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => doc.on("end", () => resolve()));
  // a TrueType collection: the face is picked by its PostScript name
  doc.registerFont("cjk", CJK_FONT, "WenQuanYiMicroHei");
  doc.font("cjk");
  const t = (k: keyof typeof L) => L[k][lang];
  const when = (ms: number) => timeText(ms, timeZone);

  doc.fontSize(18).text(`${t("title")} ${order.id}`);
  doc.moveDown(0.5).fontSize(11);
  const fields: Array<[string, string]> = [
    [t("type"), typeNames[order.type][lang]],
    [t("state"), stateNames[order.state][lang]],
    [t("place"), placeText(order.place, lang)],
    [t("description"), order.description],
    [t("assignee"), order.assignee ? nameOf(order.assignee) : "-"],
    [t("created"), `${when(order.createdAt)} · ${nameOf(order.createdBy)}`],
    [t("due"), when(order.dueAt)],
  ];
  if (order.alertId) fields.push([t("alert"), order.alertId]);
  if (order.closedReason) fields.push([t("closed"), `${reasonNames[order.closedReason][lang]}: ${order.closeNote ?? ""}`]);
  for (const [k, v] of fields) doc.text(`${k}: ${v}`);

  doc.moveDown().fontSize(14).text(t("history")).fontSize(9);
  for (const r of history) {
    const note = typeof r.data.note === "string" && r.data.note ? ` · ${r.data.note}` : typeof r.data.assignee === "string" ? ` · ${nameOf(r.data.assignee)}` : "";
    doc.text(`#${r.seq} ${when(r.at)} ${nameOf(r.by)} ${eventNames[r.event][lang]}${note}`);
    doc.fillColor("#555").text(`    sha256 ${r.hash}`).fillColor("black");
  }

  const photos = order.photos.map((p) => evidence.get(p.evidenceId)).filter((rec) => rec !== undefined && existsSync(evidence.path(rec)) && (rec.mime === "image/jpeg" || rec.mime === "image/png"));
  if (photos.length > 0) {
    doc.moveDown().fontSize(14).text(t("photos")).fontSize(9);
    for (const rec of photos) {
      if (doc.y > 600) doc.addPage();
      picture(doc, readFileSync(evidence.path(rec!)), 240, 180);
      doc.text(`sha256 ${rec!.sha256}`);
      doc.moveDown(0.5);
    }
  }

  if (doc.y > 560) doc.addPage(); // the heading with its first signature
  doc.moveDown().fontSize(14).text(t("signatures")).fontSize(10);
  for (const s of order.signatures) {
    if (doc.y > 620) doc.addPage();
    doc.text(`${s.as === "worker" ? t("worker") : t("supervisor")}: ${s.byName} (${s.by}) · ${when(s.at)}`);
    picture(doc, Buffer.from(s.png, "base64"), 240, 100);
    doc.fontSize(8).text(`${t("content")}: ${s.contentSha256}`).fontSize(10);
    doc.moveDown(0.5);
  }
  doc.fontSize(8).text(`${t("now")}: ${contentSha256(order)}`);
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
