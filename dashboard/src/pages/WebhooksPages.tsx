export function WebhooksPage() { return null; } export function WebhookDetailPage() { return null; }
