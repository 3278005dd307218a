import logging
from pathlib import Path

from softphone import logs


def test_sip_credentials_never_reach_the_log(tmp_path: Path) -> None:
    path = logs.configure(tmp_path, "debug")
    logging.getLogger("sip").debug(
        'REGISTER sip:x SIP/2.0\r\nAuthorization: Digest username="1001", '
        'response="deadbeef"\r\npassword=hunter2 auth_pass=s3cret;x=1'
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "REGISTER" in text
    assert "deadbeef" not in text and "hunter2" not in text and "s3cret" not in text
