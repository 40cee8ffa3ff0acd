import { IsOptional, Length, Matches, MaxLength, Min } from "class-validator";
import { Field, ID, InputType, Int } from "type-graphql";
import {
  CollaborativeAuthorizationEndpoint,
  CollaborativeAuthorizationStandInDecision,
} from "../entities/collaborative-authorization-endpoint.js";
import { CollaborativeAuthorizationRequest } from "../entities/collaborative-authorization-request.js";
import { NAME_MAX, SHORT_TEXT_MAX, URI_MAX } from "../limits.js";
import { Connection } from "./connection.js";
import { payloadUnion } from "./payload.js";

@InputType()
export class AddCollaborativeAuthorizationEndpointInput {
  @Field({ description: `1–${NAME_MAX} characters.` })
  @Length(1, NAME_MAX)
  name: string;

  @Field({ description: "https (LIVE) or http/https (TEST); must resolve to an address the environment may reach." })
  @Length(1, URI_MAX)
  uri: string;

  @Field(() => CollaborativeAuthorizationStandInDecision, { defaultValue: CollaborativeAuthorizationStandInDecision.DECLINE })
  standInDecision: CollaborativeAuthorizationStandInDecision;
}

@InputType({ description: "Names one collaborative-authorization endpoint." })
export class CollaborativeAuthorizationEndpointIdInput {
  @Field(() => ID)
  endpointId: string;
}

@InputType()
export class ActivateCollaborativeAuthorizationEndpointInput extends CollaborativeAuthorizationEndpointIdInput {}
@InputType()
export class DeactivateCollaborativeAuthorizationEndpointInput extends CollaborativeAuthorizationEndpointIdInput {}
@InputType()
export class RemoveCollaborativeAuthorizationEndpointInput extends CollaborativeAuthorizationEndpointIdInput {}

@InputType()
export class RenameCollaborativeAuthorizationEndpointInput extends CollaborativeAuthorizationEndpointIdInput {
  @Field({ description: `1–${NAME_MAX} characters.` })
  @Length(1, NAME_MAX)
  name: string;
}

@InputType()
export class SimulateCollaborativeAuthorizationInput {
  @Field(() => Int, { description: "Minor units (cents), 0 or more." })
  @Min(0)
  amount: number;

  @Field({ description: "ISO 4217 alphabetic code, e.g. USD." })
  @Matches(/^[A-Z]{3}$/, { message: "currencyCode must be three uppercase letters (ISO 4217)" })
  currencyCode: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(SHORT_TEXT_MAX)
  merchantName?: string | null;
}

export const CollaborativeAuthorizationEndpointConnection = Connection(
  "CollaborativeAuthorizationEndpoint",
  CollaborativeAuthorizationEndpoint,
);
export const CollaborativeAuthorizationRequestConnection = Connection(
  "CollaborativeAuthorizationRequest",
  CollaborativeAuthorizationRequest,
);
export const CollaborativeAuthorizationEndpointPayload = payloadUnion(
  "CollaborativeAuthorizationEndpointPayload",
  CollaborativeAuthorizationEndpoint,
);
export const CollaborativeAuthorizationRequestPayload = payloadUnion(
  "CollaborativeAuthorizationRequestPayload",
  CollaborativeAuthorizationRequest,
);
