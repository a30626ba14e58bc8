/** Whether a string is an RTSP URL ffmpeg can open: rtsp:// or rtsps://, with a host. */
export function isRtspUrl(text: string): boolean {
  if (!/^rtsps?:\/\//i.test(text)) return false;
  try {
    return new URL(text).hostname !== "";
  } catch {
    return false;
  }
}

/**
 * Text with the credentials of every rtsp(s):// URL in it replaced by `***`, and the given URL's own
 * user and password removed wherever else they appear: ffmpeg's messages quote the URL as given,
 * sometimes decoded, and none of that may reach a log or the bus.
 */
export function redactCredentials(text: string, url?: string): string {
  let out = text.replace(/(rtsps?:\/\/)[^/\s@]*@/gi, "$1***@");
  for (const secret of secretsOf(url)) out = out.split(secret).join("***");
  return out;
}

/** The URL as logs may show it: `rtsp://***@host:554/path`. */
export const redactUrl = (url: string) => redactCredentials(url, url);

function secretsOf(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const raw = [parsed.password, parsed.username].filter((s) => s.length > 0);
  const decoded = raw.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  // longest first, so a password containing the user name is removed whole; very short ones would blank ordinary words
  return [...new Set([...raw, ...decoded])].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}
