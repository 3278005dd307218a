"""The phone engine: a separate process that owns pjsua2 and the audio devices.

Run as ``python -m softphone.engine``. It reads :mod:`softphone.protocol` commands as
JSON lines on stdin and writes events as JSON lines on stdout. Module split:

- ``__main__``: entry point, protects the protocol channel, sets up logging.
- ``channel``: stdin reader thread and stdout writer thread.
- ``loop``: the main (pjsua) thread loop and command dispatch.
- ``sip``: endpoint, account and call wrappers around pjsua2.
- ``audio``: the AudioMediaPort bridge to sounddevice, drift buffers, levels.
- ``devices``: device listing and name resolution.
- ``ringer``: the ring cadence on the ringer device.
- ``identity``, ``targets``: pure parsing of caller identity and dial targets.
- ``siplog``: pjsua2 log routing with secrets removed.
- ``netwatch``: notices a change of the local address.

Imports no Qt.
"""
