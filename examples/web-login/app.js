// The example page: 微信登录 → WeChat → back here with a ticket → the user from GET /me.
import { createWebClient } from "tongxing-miniprogram/web";
import { APPID, BASE_URL } from "./config.js";

const $ = (id) => document.getElementById(id);

const tx = createWebClient({
  baseUrl: BASE_URL,
  appid: APPID,
  // A consent page at WeChat, so that a new user gets their WeChat nickname; snsapi_base is silent.
  scope: "snsapi_userinfo",
  // The token died (revoked, expired). Logging in again leaves the page, so the client asks: here
  // the page shows the button again; return true to go to WeChat at once.
  onLoginRequired: () => {
    showLoggedOut("登录已失效，请重新登录");
    return false;
  },
});

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
