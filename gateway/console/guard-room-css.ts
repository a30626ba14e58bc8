/**
 * The frame every guard-room page shares (labelling, devices, parking): dark, a sticky header with
 * its tabs, the signed-in user and the language toggle. Each page adds its own rules after it.
 */
export const guardRoomCss = String.raw`
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;background:#101820;color:#e8eef2}
header{display:flex;align-items:center;flex-wrap:wrap;gap:10px 24px;padding:10px 20px;background:#1b2631;border-bottom:1px solid #2c3e50;position:sticky;top:0;z-index:2}
header h1{font-size:18px;margin:0}
nav{display:flex;gap:6px}
.tab{border:1px solid #34495e;color:#c8d6e5;padding:6px 14px;border-radius:6px;font-size:14px;text-decoration:none}
.tab.active{background:#2e86de;border-color:#2e86de;color:#fff}
.right{margin-left:auto;display:flex;align-items:center;gap:14px;font-size:13px;color:#9fb3c3}
.right form{margin:0}.link{background:none;border:0;color:#9fb3c3;cursor:pointer;font-size:13px;text-decoration:underline}
.lang{color:#9fb3c3}
main{padding:14px 20px 40px}
`;
