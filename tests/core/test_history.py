from pathlib import Path

from softphone.storage.database import DatabaseWorker
from softphone.storage.history import CallHistory, HistoryEntry


def entry(call_id: str, started: float) -> HistoryEntry:
    return HistoryEntry(call_id, "incoming", "Ann", "100", "sip:100@x", started, started + 1,
                        started + 61, 60.0, "answered")


def test_history_survives_a_restart_newest_first(tmp_path: Path) -> None:
    worker = DatabaseWorker(tmp_path / "db.sqlite3")
    history = CallHistory(worker)
    history.add(entry("a", 100.0)).result()
    history.add(entry("b", 200.0)).result()
    worker.close()
    reopened = DatabaseWorker(tmp_path / "db.sqlite3")
    try:
        assert [e.call_id for e in CallHistory(reopened).recent(10)] == ["b", "a"]
        assert [e.call_id for e in CallHistory(reopened).recent(1)] == ["b"]
    finally:
        reopened.close()
