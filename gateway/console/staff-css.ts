import { navCss } from "./nav.ts";

/** The staff pages' style (work orders, accounts): light, phone first (a technician's 360 px screen), wider on a desk. */
export const staffCss = `
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;background:#f4f6f8;color:#1c2833;font-size:16px}
${navCss}
main{padding:10px;max-width:900px;margin:0 auto}
h1{font-size:20px;margin:8px 0 12px}
h2{font-size:17px;margin:16px 0 8px}
.card{background:#fff;border-radius:8px;padding:12px;margin-bottom:10px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card a{color:inherit;text-decoration:none}
label{display:block;font-size:14px;margin:8px 0 4px;color:#566573}
input,select,textarea{width:100%;font-size:16px;padding:10px;border:1px solid #aab7b8;border-radius:6px;background:#fff}
button{font-size:16px;padding:12px 14px;border:0;border-radius:6px;background:#2e86de;color:#fff;cursor:pointer;min-height:44px}
button.secondary{background:#7f8c8d}button.danger{background:#c0392b}button.ok{background:#1e8449}
.row{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
.row>*{flex:1 1 140px}
.badge{display:inline-block;font-size:12px;padding:2px 8px;border-radius:10px;background:#34495e;color:#fff}
.meta{font-size:13px;color:#566573;margin:4px 0}
.empty{background:#fff;border-radius:8px;padding:18px 14px;color:#566573;font-size:15px;text-align:center}
.overdue{background:#c0392b}
.error{color:#c0392b}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #d5dbdb;vertical-align:top;word-break:break-word}
img{max-width:100%}
`;
