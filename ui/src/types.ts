// Types mirror the JSON of the Go root package (ticket.go, user.go,
// channel.go, service.go); field names are the API's.

export type Status = "new" | "open" | "waiting" | "resolved" | "closed";
export type Priority = "low" | "normal" | "high" | "urgent";
export type Kind = "comment" | "dm" | "mail";
export type Direction = "in" | "out" | "note";
export type Role = "admin" | "agent" | "department";

export interface User {
  id: number;
  login: string;
  name: string;
  role: Role;
  departments: string[] | null;
  lang: string;
  disabled?: boolean;
}

export interface Ticket {
  id: number;
  number: string;
  status: Status;
  priority: Priority;
  department: string;
  assignee: string;
  assignee_id?: number;
  tags: string[] | null;
  channel_id: number;
  platform: string;
  kind: Kind;
  contact_id: number;
  subject?: string;
  preview: string;
  created_at: string;
  updated_at: string;
  first_response_at?: string;
  resolved_at?: string;
  version: number;
  unread?: boolean;
  merged_into?: number;
}

export interface Message {
  id: number;
  ticket_id?: number;
  direction: Direction;
  text: string;
  html: string;
  external_id: string;
  author: string;
  author_id?: number;
  created_at: string;
  url?: string;
  delivery_state?: "pending" | "sent" | "failed";
  error?: string;
  edited: boolean;
  deleted: boolean;
}

export interface TicketEvent {
  id: number;
  type: string;
  ticket_id?: number;
  actor_id?: number;
  department?: string;
  prev_department?: string;
  data?: any;
  created_at: string;
}

export interface Identity {
  id: number;
  platform: string;
  handle: string;
  name: string;
}

export interface Contact {
  id: number;
  name: string;
  identities?: Identity[];
}

export interface TicketDetail extends Ticket {
  messages: Message[] | null;
  events: TicketEvent[] | null;
  contact?: Contact;
  /** The ticket's channel with its capabilities; absent when deleted. */
  channel?: Channel;
}

/** Staff is a colleague from the staff directory (GET /staff). */
export type Staff = Pick<User, "id" | "login" | "name" | "role" | "departments">;

export interface TicketPage {
  items: Ticket[] | null;
  next: string;
}

export interface Department {
  id: string;
  name: string;
}

export interface Capabilities {
  max_reply_length: number;
  url_length?: number;
  public_replies: boolean;
  direct_messages: boolean;
}

export interface ChannelHealth {
  state: string;
  last_poll_at?: string;
  last_success_at?: string;
  last_error?: string;
  consecutive_failures: number;
  next_poll_at?: string;
  items_total: number;
}

export interface Channel {
  id: number;
  platform: string;
  name: string;
  account: string;
  enabled: boolean;
  poll_interval?: number;
  settings?: any;
  health?: ChannelHealth;
  capabilities?: Capabilities;
}

export interface CannedAnswer {
  id: number;
  title: string;
  shortcut: string;
  text: string;
  department: string;
}

export interface Rule {
  id: number;
  [key: string]: any;
}

export interface SimilarTicket {
  ticket_id: number;
  number: string;
  question: string;
  answer: string;
  score: number;
}

export interface SearchHit {
  ticket_id: number;
  message_id: number;
  number: string;
  platform: string;
  department: string;
  status: Status;
  direction: Direction;
  score: number;
  snippet: string;
  created_at: string;
}

export interface FacetCount {
  term: string;
  count: number;
}

export interface SearchResult {
  hits: SearchHit[] | null;
  facets: Record<string, FacetCount[] | null> | null;
  total: number;
}

/** StreamEvent is one frame of the websocket stream. */
export interface StreamEvent {
  id: number;
  type: string;
  ticket_id?: number;
  data?: any;
}
