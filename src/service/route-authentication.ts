import { Duration, SecretValue } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as actions from 'aws-cdk-lib/aws-elasticloadbalancingv2-actions';

/** Sign-in through an OpenID Connect identity provider (browser sessions). */
export interface OidcSignInOptions {
  /** e.g. 'https://login.example.com' */
  readonly issuer: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly userInfoEndpoint: string;
  readonly clientId: string;
  /** Keep it in Secrets Manager: `SecretValue.secretsManager(...)`. */
  readonly clientSecret: SecretValue;
  /** @default 'openid' */
  readonly scope?: string;
  /** @default Duration.hours(8) */
  readonly sessionTimeout?: Duration;
}

/** Sign-in through an Amazon Cognito user pool (browser sessions). */
export interface CognitoSignInOptions {
  readonly userPool: cognito.IUserPool;
  /** An app client with a secret (`generateSecret: true`) and the OAuth code flow. */
  readonly userPoolClient: cognito.IUserPoolClient;
  readonly userPoolDomain: cognito.IUserPoolDomain;
  /** @default 'openid' */
  readonly scope?: string;
  /** @default Duration.hours(8) */
  readonly sessionTimeout?: Duration;
}

/** JWT validation for APIs: the load balancer checks the bearer token's signature, issuer and expiry. */
export interface JwtValidationOptions {
  /** The `iss` the tokens must carry, a full https URL. */
  readonly issuer: string;
  /** The issuer's public keys (JWKS), a public https URL. */
  readonly jwksEndpoint: string;
}

/**
 * How a route of the service authenticates callers on the load balancer,
 * before any request reaches a host: OIDC or Cognito sign-in for browsers, or
 * JWT validation for APIs (unauthenticated: 401, never forwarded).
 */
export class RouteAuthentication {
  /** Browser sign-in through an OIDC identity provider; unauthenticated requests are sent to sign in. */
  public static oidc(options: OidcSignInOptions): RouteAuthentication {
    return new RouteAuthentication('oidc', [options.issuer, options.authorizationEndpoint, options.tokenEndpoint, options.userInfoEndpoint], next =>
      elbv2.ListenerAction.authenticateOidc({ ...options, ...signIn(options), next }));
  }

  /** Browser sign-in through a Cognito user pool; unauthenticated requests are sent to sign in. */
  public static cognito(options: CognitoSignInOptions): RouteAuthentication {
    return new RouteAuthentication('cognito', [], next => new actions.AuthenticateCognitoAction({ ...options, ...signIn(options), next }));
  }

  /** API callers: a valid bearer JWT of `issuer`, else 401. */
  public static jwt(options: JwtValidationOptions): RouteAuthentication {
    return new RouteAuthentication('jwt', [options.issuer, options.jwksEndpoint], next =>
      elbv2.ListenerAction.authenticateJwt({ ...options, next }));
  }

  /** `oidc`, `cognito` or `jwt`. */
  public readonly kind: string;
  /** The URLs it is configured with (the service requires https). */
  public readonly urls: string[];
  private readonly build: (next: elbv2.ListenerAction) => elbv2.ListenerAction;

  private constructor(kind: string, urls: string[], build: (next: elbv2.ListenerAction) => elbv2.ListenerAction) {
    this.kind = kind;
    this.urls = urls;
    this.build = build;
  }

  /** @internal The load balancer action: authenticate, then `next`. */
  public _action(next: elbv2.ListenerAction): elbv2.ListenerAction {
    return this.build(next);
  }
}

/** What browser sign-in (OIDC or Cognito) does unless told otherwise: OpenID scope, 8-hour sessions, send the unauthenticated to sign in. */
function signIn(options: { readonly scope?: string; readonly sessionTimeout?: Duration }) {
  return {
    scope: options.scope ?? 'openid',
    sessionTimeout: options.sessionTimeout ?? Duration.hours(8),
    onUnauthenticatedRequest: elbv2.UnauthenticatedAction.AUTHENTICATE,
  };
}
