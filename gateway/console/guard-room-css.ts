import { navCss } from "./nav.ts";

/**
 * The frame every guard-room page shares (labelling, devices, parking): dark, the console's
 * navigation at the top, the page's title first in its main part. Each page adds its own rules after it.
 */
export const guardRoomCss = String.raw`
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;background:#101820;color:#e8eef2}
${navCss}
main{padding:14px 20px 40px}
.page-title{font-size:18px;margin:0 0 12px;color:#fff}
@media (max-width:720px){main{padding:10px 10px 30px}.page-title{font-size:16px}}
`;
