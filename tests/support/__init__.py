"""What the tests share: harnesses that drive apps, real servers, the User-Agents they send."""
