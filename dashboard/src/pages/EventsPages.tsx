export function EventsPage() { return null; } export function EventDetailPage() { return null; }
