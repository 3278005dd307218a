"""The Qt desktop front end of the softphone.

Everything in this package runs on the GUI thread. The only way engine news reaches it
is ``bridge.PhoneBridge``, which re-posts the Phone's events (delivered on engine
threads) to the GUI thread as Qt signals. Widgets read state with ``phone.snapshot()``
and act through ``actions.CallActions``; they never see pjsua2 (it runs in another
process).
"""
