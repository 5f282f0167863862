// 使用我的位置: the public report form's button that fills its hidden lat/long
// fields from the browser's geolocation; the report is then placed in the
// community whose registered centre is nearest. Progressive enhancement: without
// this script, or without geolocation, the button stays hidden and the form works
// as before, by the community chosen. Loaded from /static/ (the Content-Security-
// Policy allows scripts of this site only, never inline ones).
(function () {
  "use strict";
  var form = document.querySelector("form[data-locate]");
  if (!form || !("geolocation" in navigator)) {
    return;
  }
  var lat = form.querySelector("input[name=lat]");
  var long = form.querySelector("input[name=long]");
  var button = form.querySelector("[data-locate-button]");
  var status = form.querySelector("[data-locate-status]");
  if (!lat || !long || !button || !status) {
    return;
  }

  function say(text, state) {
    status.textContent = text;
    status.setAttribute("data-locate-status", state);
  }

  if (lat.value && long.value) {
    say("已附上您的位置，将按位置分到最近的社区。", "located");
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    say("正在获取您的位置……", "asking");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        long.value = position.coords.longitude.toFixed(6);
        button.disabled = false;
        say("已附上您的位置，将按位置分到最近的社区。", "located");
      },
      function () {
        lat.value = "";
        long.value = "";
        button.disabled = false;
        say("没能取得位置（可能未允许定位），请选择社区并写明地点。", "failed");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
