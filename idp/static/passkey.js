// Passkeys (issue 17): a form marked data-passkey="register" or "authenticate" is shown, and
// on submit asks the server for WebAuthn options (data-options), calls navigator.credentials,
// puts the JSON answer in its "credential" field and is submitted as an ordinary form.
"use strict";

(function () {
  function toBytes(value) {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
    return options;
  }

  function serialise(credential) {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) json.response.userHandle = toText(response.userHandle);
    }
    if (credential.authenticatorAttachment) json.authenticatorAttachment = credential.authenticatorAttachment;
    return JSON.stringify(json);
  }

  async function ceremony(form) {
    const status = form.querySelector("[data-passkey-status]");
    const body = new URLSearchParams();
    body.set("csrf_token", form.elements.csrf_token.value);
    if (form.dataset.mode) body.set("mode", form.dataset.mode);
    const answer = await fetch(form.dataset.options, { method: "POST", body, credentials: "same-origin" });
    if (!answer.ok) throw new Error("options");
    const options = await answer.json();
    const credential = form.dataset.passkey === "register"
      ? await navigator.credentials.create({ publicKey: creationOptions(options) })
      : await navigator.credentials.get({ publicKey: requestOptions(options) });
    form.elements.credential.value = serialise(credential);
    if (status) status.textContent = "";
    form.submit();
  }

  if (!window.PublicKeyCredential) return;
  document.querySelectorAll("form[data-passkey]").forEach((form) => {
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      if (form.elements.credential.value) return;
      event.preventDefault();
      ceremony(form).catch(() => {
        const status = form.querySelector("[data-passkey-status]");
        if (status) status.textContent = status.dataset.failed;
      });
    });
  });
})();
