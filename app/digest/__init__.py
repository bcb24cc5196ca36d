"""The Learning Services digest: subscriptions, ``flask digest send``, its pages and feeds."""
