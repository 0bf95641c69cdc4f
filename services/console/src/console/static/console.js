// A connection's page listens to the user's live stream (relayed by the console at /app/stream):
// each event of this connection is listed, and the status panel is fetched again with htmx.
(function () {
  var panel = document.getElementById("item-state");
  var log = document.getElementById("progress");
  if (!panel || !log || !window.EventSource) { return; }
  var itemId = panel.dataset.itemId;
  var labels = {
    "item.status": "Status da conexão",
    "item.mfa_required": "O banco pediu um código de verificação",
    "item.mfa_expired": "O código de verificação expirou",
    "sync.progress": "Sincronizando",
    "sync.finished": "Sincronização concluída",
    "sync.failed": "A sincronização falhou"
  };
  function refresh() { htmx.ajax("GET", panel.dataset.stateUrl, { target: "#item-state", swap: "innerHTML" }); }
  // Events arrive while the user types the bank's code, and each redraws the panel: what was
  // typed for the same question is kept, with the focus (a new question starts empty).
  function question() {
    var name = panel.querySelector("input[name=name]");
    return name ? name.value : null;
  }
  var typing = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var answer = document.getElementById("mfa-answer");
    if (event.detail.target !== panel || !answer) { return; }
    typing = { question: question(), value: answer.value, focused: document.activeElement === answer };
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var answer = document.getElementById("mfa-answer");
    if (event.detail.target !== panel) { return; }
    if (typing && answer && question() === typing.question) {
      if (typing.value) { answer.value = typing.value; }
      if (typing.focused) { answer.focus(); }
    }
    typing = null;
  });
  var source = new EventSource("/app/stream");
  source.addEventListener("open", refresh);
  Object.keys(labels).forEach(function (name) {
    source.addEventListener(name, function (message) {
      var data = JSON.parse(message.data);
      if (data.item_id !== itemId) { return; }
      var line = document.createElement("li");
      var detail = data.message || data.status || "";
      if (name === "sync.progress") { detail = (data.account_name || "") + ": " + data.transactions_stored + " transações"; }
      if (name === "sync.finished") { detail = data.transactions_stored + " transações em " + data.accounts + " conta(s)"; }
      line.textContent = labels[name] + (detail ? " — " + detail : "");
      line.dataset.event = name;
      log.appendChild(line);
      refresh();
    });
  });
})();
