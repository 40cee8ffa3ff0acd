export function CollaborativeAuthorizationPage() { return null; }
