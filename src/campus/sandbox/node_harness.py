"""In-sandbox harness for JavaScript submissions (node), kept as a Python string so that it
ships with the package without extra packaging configuration.

Same protocol as ``harness.py``: ``node -e <SOURCE> MODE NONCE SOLUTION_PATH ENTRY``; result
channel on fd 3 with frames ``<nonce> <json>\\n``; ``ready`` is written before any learner code
runs. In function mode the submission exports ``ENTRY`` (``module.exports.solve = ...``,
``module.exports = solve``) or defines it globally; the awaited return value is reported and
the process exits at once.
"""

SOURCE = r"""
'use strict';
const fs = require('fs');
const RESULT_FD = 3;
const [mode, nonce, path, entry] = process.argv.slice(1);

function frame(payload) {
  fs.writeSync(RESULT_FD, nonce + ' ' + JSON.stringify(payload) + '\n');
}

function failure(err) {
  let type = 'Error';
  let message = '';
  let trace = '';
  try {
    type = (err && err.constructor && err.constructor.name) || typeof err;
    message = String(err && err.message !== undefined ? err.message : err).slice(0, 2000);
    trace = String((err && err.stack) || '').slice(0, 2000);
  } catch (_e) {
    message = '<unprintable exception>';
  }
  return { event: 'result', ok: false, exc_type: type, message: message, traceback: trace };
}

function finish(payload) {
  frame(payload);
  process.reallyExit(0);
}

if (mode === 'stdio') {
  frame({ event: 'ready' });
  fs.closeSync(RESULT_FD);
  require(path);
} else {
  const control = JSON.parse(fs.readFileSync(0, 'utf8'));
  frame({ event: 'ready' });
  try {
    const mod = require(path);
    let fn = null;
    if (typeof mod === 'function') fn = mod;
    else if (mod && typeof mod[entry] === 'function') fn = mod[entry];
    else if (typeof globalThis[entry] === 'function') fn = globalThis[entry];
    if (fn === null) {
      throw new ReferenceError(`the submission does not export a function '${entry}'`);
    }
    Promise.resolve(fn(...control.args)).then(
      (value) => {
        let encoded;
        try {
          encoded = JSON.stringify(value);
        } catch (err) {
          const why = 'the return value is not JSON-serializable: ' + err.message;
          finish(failure(new TypeError(why)));
          return;
        }
        const plain = encoded === undefined ? null : JSON.parse(encoded);
        finish({ event: 'result', ok: true, value: plain });
      },
      (err) => finish(failure(err)),
    );
  } catch (err) {
    finish(failure(err));
  }
}
"""
