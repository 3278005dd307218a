import sqlite3
from pathlib import Path

from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.store import CacheStore
from softphone.storage.history import CallHistory, HistoryEntry, move_clear_history


def entry(call_id: str, started: float) -> HistoryEntry:
    return HistoryEntry(call_id, "incoming", "Ann", "100", "sip:100@x", started, started + 1,
                        started + 61, 60.0, "answered")


def test_history_survives_a_restart_newest_first(tmp_path: Path) -> None:
    key = CacheKey(new_key_hex())
    worker = CacheStore(tmp_path / "cache.sqlite3", key)
    history = CallHistory(worker)
    history.add(entry("a", 100.0)).result()
    history.add(entry("b", 200.0)).result()
    worker.close()
    assert b"sip:100@x" not in (tmp_path / "cache.sqlite3").read_bytes()
    reopened = CacheStore(tmp_path / "cache.sqlite3", key)
    try:
        assert [e.call_id for e in CallHistory(reopened).recent(10)] == ["b", "a"]
        assert [e.call_id for e in CallHistory(reopened).recent(1)] == ["b"]
    finally:
        reopened.close()


def test_history_of_an_earlier_version_moves_into_the_encrypted_cache(tmp_path: Path) -> None:
    old = tmp_path / "softphone.sqlite3"
    clear = sqlite3.connect(old)
    clear.execute("CREATE TABLE call_history (id INTEGER PRIMARY KEY, call_id, direction, "
                  "display_name, number, uri, started_at, answered_at, ended_at, "
                  "duration_seconds, outcome)")
    clear.execute("INSERT INTO call_history (call_id, direction, display_name, number, uri, "
                  "started_at, answered_at, ended_at, duration_seconds, outcome) VALUES "
                  "('old', 'incoming', 'Mai', '+842838221234', 'sip:mai@x', 50.0, NULL, 55.0, "
                  "0.0, 'missed')")
    clear.commit()
    clear.close()
    cache = CacheStore(tmp_path / "cache.sqlite3", CacheKey(new_key_hex()))
    try:
        history = CallHistory(cache)
        history.add(entry("new", 100.0)).result()
        assert move_clear_history(old, history) == 1
        assert not old.exists()
        moved = history.recent(10)
        assert [(e.call_id, e.display_name, e.outcome) for e in moved] == [
            ("new", "Ann", "answered"), ("old", "Mai", "missed")]
    finally:
        cache.close()
