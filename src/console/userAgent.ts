/**
 * A WeChat User-Agent as a support person reads it: "WeChat 8.0.49 on iPhone, iOS 17.5" rather
 * than the raw string (kept in the cell's title).
 */
export function describeUserAgent(ua: string): string {
  const wechat = /MicroMessenger\/(\d+\.\d+\.\d+)/.exec(ua)?.[1];
  const ios = /(iPhone|iPad); CPU (?:iPhone )?OS (\d+)_(\d+)/.exec(ua);
  const android = /Android (\d+(?:\.\d+)?)/.exec(ua)?.[1];
  const device = ios
    ? `${ios[1]}, iOS ${ios[2]}.${ios[3]}`
    : android
      ? `Android ${android}`
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "Mac"
          : null;
  if (wechat && device) return `WeChat ${wechat} on ${device}`;
  if (wechat) return `WeChat ${wechat}`;
  return ua.length > 60 ? `${ua.slice(0, 57)}...` : ua || "-";
}
