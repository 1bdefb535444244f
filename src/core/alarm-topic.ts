import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

// Internal (not exported from the barrel): jsii drops free functions.

/**
 * A layer's alarm topic: encrypted with the layer's key, TLS only, CloudWatch
 * alarms of this account may publish, `emails` subscribed.
 */
export function alarmTopic(scope: Construct, id: string, displayName: string, key: kms.IKey, emails: string[]): sns.Topic {
  const topic = new sns.Topic(scope, id, { displayName, masterKey: key, enforceSSL: true });
  allowServiceToPublish(topic, key, 'cloudwatch.amazonaws.com', { keySid: 'CloudWatchAlarmsPublishToTheTopic', topicSid: 'CloudWatchAlarmsOfThisAccount' });
  for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}

/** Lets an AWS service of this account (its alarms, its rules) publish to an encrypted topic: the topic's policy and its key's. */
export function allowServiceToPublish(topic: sns.ITopic, key: kms.IKey, service: string, sids: { keySid: string; topicSid: string }): void {
  const account = Stack.of(topic).account;
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: sids.keySid,
    principals: [new iam.ServicePrincipal(service)],
    actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': account } },
  }));
  topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: sids.topicSid,
    principals: [new iam.ServicePrincipal(service)],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: { StringEquals: { 'aws:SourceAccount': account } },
  }));
}
