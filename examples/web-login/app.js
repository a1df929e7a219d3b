// The example page: 微信登录 → WeChat → back here with a ticket → the user from GET /me.
import { createWebClient } from "tongxing-miniprogram/web";
import { APPID, BASE_URL } from "./config.js";

const $ = (id) => document.getElementById(id);

const tx = createWebClient({
  baseUrl: BASE_URL,
  appid: APPID,
  // A consent page at WeChat, so that a new user gets their WeChat nickname; snsapi_base is silent.
  scope: "snsapi_userinfo",
  // The token died. Logging in again leaves the page, so the client asks, saying why (err.reason):
  // here the page words it and shows the button again; return true to go to WeChat at once.
  onLoginRequired: (err) => {
    showLoggedOut(endedMessage(err));
    return false;
  },
});

// What to tell the person, by why the session ended (tongxing's 401 TOKEN_INVALID `reason`).
function endedMessage(err) {
  switch (err.reason) {
    case "REPLACED":
      return "您的账号已在其他设备登录";
    case "BANNED":
      // bannedUntil only for a ban with an end; without one, the ban lasts until an operator lifts it.
      return `${err.bannedUntil ? `账号已被封禁至 ${new Date(err.bannedUntil).toLocaleString()}` : "账号已被封禁"}${err.banReason ? `：${err.banReason}` : ""}`;
    case "DELETED":
      return "账号已注销";
    default:
      return "登录已失效，请重新登录";
  }
}

function showLoggedOut(message = "") {
  $("status").textContent = message;
  $("user").hidden = true;
  $("login").hidden = false;
}

function showUser(user, message = "") {
  $("status").textContent = message;
  $("user-id").textContent = String(user.id);
  $("user-nickname").textContent = user.nickname ?? "（未设置）";
  $("login").hidden = true;
  $("user").hidden = false;
}

$("login").addEventListener("click", () => tx.startLogin());
$("logout").addEventListener("click", async () => {
  await tx.logout();
  showLoggedOut("已退出");
});

async function main() {
  let message = "";
  try {
    // Back from a login: trades the ticket and keeps the token; else null.
    await tx.finishLogin();
  } catch (err) {
    message = `登录失败：${err.code}`;
  }
  if (!tx.getToken()) return showLoggedOut(message);
  try {
    showUser(await tx.me(), message);
  } catch (err) {
    // A dead token was handed to onLoginRequired, which has shown the button.
    if (err.code !== "TOKEN_INVALID" && err.code !== "TOKEN_MISSING") showLoggedOut(`出错了：${err.code}`);
  }
}

main();
