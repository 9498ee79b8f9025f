"""Live feed: fan-out, bounded buffers, and closing that ends every stream."""

from station.runtime.live import LiveFeed


def test_each_subscriber_gets_everything_in_order():
    feed = LiveFeed()
    a, b = feed.subscribe(), feed.subscribe()
    for i in range(3):
        feed.publish(i)
    assert a.wait(0) == [0, 1, 2] and b.wait(0) == [0, 1, 2]
    assert a.wait(0) == []
    a.close()
    feed.publish(3)
    assert feed.subscribers == 1 and b.wait(0) == [3]


def test_a_slow_reader_loses_the_oldest_items_not_the_loop_time():
    feed = LiveFeed(maxlen=4)
    sub = feed.subscribe()
    for i in range(10):
        feed.publish(i)
    assert sub.wait(0) == [6, 7, 8, 9]


def test_closing_the_feed_ends_current_and_later_subscriptions():
    feed = LiveFeed()
    sub = feed.subscribe()
    feed.close()
    assert sub.closed and sub.wait(5.0) == []  # returns at once
    late = feed.subscribe()
    assert late.closed and feed.subscribers == 0
