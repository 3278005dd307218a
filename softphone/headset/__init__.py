"""USB HID headset call control: hook switch, mute, flash and the headset's lights.

- ``descriptor``: a HID report-descriptor parser (where each usage's bits sit);
- ``telephony``: the telephony buttons and lights of one headset and what they do;
- ``transport``: finding and opening headsets (hidapi), behind a small protocol;
- ``service``: ``HeadsetService(phone, settings)``, which ties them to the phone.

Imports no Qt.
"""

from softphone.headset.service import HeadsetService

__all__ = ["HeadsetService"]
