// The chat simulator: send each chat form with fetch() and append the HTML the server renders,
// so the conversation grows in place. Without this script the forms still post normally.
(function () {
  "use strict";

  function scrollToEnd(transcript) {
    transcript.scrollTop = transcript.scrollHeight;
    window.scrollTo(0, document.body.scrollHeight);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("chat-form")) {
      return;
    }
    var transcript = document.getElementById("transcript");
    if (!transcript || !window.fetch) {
      return;
    }
    event.preventDefault();
    var body = new FormData(form);
    var textInput = form.querySelector("input[name=text][type=text]");
    if (textInput) {
      textInput.value = "";
    }
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    transcript.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    }).then(function (html) {
      // Quick replies belong to the latest message only, as in LINE.
      transcript.querySelectorAll(".quick-replies").forEach(function (chips) { chips.remove(); });
      transcript.insertAdjacentHTML("beforeend", html);
      scrollToEnd(transcript);
    }).catch(function () {
      transcript.insertAdjacentHTML("beforeend",
        '<p class="chat-note">ส่งข้อความไม่สำเร็จ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้งค่ะ</p>');
    }).finally(function () {
      buttons.forEach(function (button) { button.disabled = false; });
      transcript.removeAttribute("aria-busy");
      if (textInput) {
        textInput.focus();
      }
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var transcript = document.getElementById("transcript");
    if (transcript) {
      scrollToEnd(transcript);
    }
  });
})();
