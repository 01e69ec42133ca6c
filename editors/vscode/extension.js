// Starts `storyscore lsp` for .sco files; highlighting needs no code (the grammar).
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("storyscore")
    .get("command", ["storyscore", "lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "storyscore",
    "storyscore",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "storyscore" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
