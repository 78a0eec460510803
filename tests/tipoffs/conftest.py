"""Fixtures for the target-6 tests: items built through the services, as the pages do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import pytest

from casework.extensions import db
from casework.services.effective_dates import LOCAL_ZONE


@pytest.fixture
def in_request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def make_tipoff(app, org, in_request) -> Callable[..., Any]:
    """An item received at ``unit`` on ``on``, then taken through the given steps."""
    from casework.tipoffs import service

    def factory(unit: Any, on: date, *, channel: str = "phone", anonymous: bool = False,
                name: str | None = "Người Báo Tin", contact: str | None = "0912000111",
                summary: str = "Có dấu hiệu môi giới mại dâm tại nhà nghỉ",
                classify: tuple[str, date] | None = None,
                verify: tuple[date, bool, Any] | None = None,
                transfer: tuple[Any, date] | None = None,
                handle: tuple[str, date] | None = None, actor: Any = None) -> Any:
        item = service.receive(service.Received(
            channel=channel, received_at=datetime.combine(on, time(9, 30), tzinfo=LOCAL_ZONE),
            summary=summary, anonymous=anonymous, reporter_name=None if anonymous else name,
            reporter_contact=None if anonymous else contact, note="nhập lại từ sổ"),
            unit=unit, actor=actor)
        if transfer is not None and transfer[1] <= (classify[1] if classify else transfer[1]):
            service.transfer(item, transfer[0], on=transfer[1], note="đúng địa bàn", actor=actor)
            transfer = None
        if verify is not None:
            service.verify(item, on=verify[0], has_content=verify[1], duplicate_of=verify[2],
                           note="đã xác minh", actor=actor)
        if classify is not None:
            service.classify(item, classification=classify[0], on=classify[1], note="phân loại",
                             actor=actor)
        if transfer is not None:
            service.transfer(item, transfer[0], on=transfer[1], note="đúng địa bàn", actor=actor)
        if handle is not None:
            action, day = handle
            service.handle(item, action, service.Handling(
                on=day, note="đã xử lý", police_office="Công an huyện", authority="UBND xã",
                sender_told=True), actor=actor)
        db.session.commit()
        return item

    return factory
