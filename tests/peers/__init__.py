"""Real peers for end-to-end tests: Kamailio, baresip and PulseAudio, started by the tests.

Modules:

* :mod:`tests.peers.net` -- ``free_port``, ``free_port_range``, ``wait_until`` (bounded polls;
  the harness never sleeps for a fixed time).
* :mod:`tests.peers.kamailio` -- ``Kamailio``: registrar + proxy with digest auth on a free
  loopback port (UDP and TCP), record-routing, relaying in-dialog requests including REFER.
* :mod:`tests.peers.baresip` -- ``Baresip``: a remote SIP UA driven over ``ctrl_tcp``; sends a
  tone, records what it hears, reports DTMF (RFC 4733 and SIP INFO), follows REFER.
* :mod:`tests.peers.pulse` -- ``PulseAudio``: private server with null sinks that PortAudio
  sees as ALSA devices ``headset``, ``headset_mic``, ``ringer``, ``spare``, ``default``.
* :mod:`tests.peers.audio` -- tone WAVs and their analysis (dominant frequency, RMS).
* :mod:`tests.peers.keyring_session` -- run a command with an unlocked gnome-keyring.
* :mod:`tests.peers.fixtures` -- the pytest plugin: ``kamailio``, ``baresip_factory``,
  ``pulse``, ``tone_wav`` and the ``USERS`` constant.

Every process is started in its own process group and stopped (SIGTERM, then SIGKILL) by
its owner's ``stop()``, which the fixtures call at teardown even when a test fails.
"""
