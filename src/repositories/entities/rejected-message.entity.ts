import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Anything that failed validation, kept verbatim with its reason so it can be replayed after a fix. */
@Entity('rejected_message')
export class RejectedMessageEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** mqtt | rest | import */
  @Column('text') channel: string;
  @Column('text', { nullable: true }) topic: string | null;
  @Column('text', { name: 'instrument_id', nullable: true }) instrumentId: string | null;
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId: string | null;
  /** The payload exactly as received (UTF-8 text; base64 when not valid UTF-8). */
  @Column('text') payload: string;
  @Column('text') reason: string;
  /** pending | replayed | dismissed */
  @Column('text', { default: 'pending' }) status: string;
  @Column('int', { name: 'replay_count', default: 0 }) replayCount: number;
  @Column('text', { name: 'last_replay_result', nullable: true }) lastReplayResult: string | null;
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' }) receivedAt: Date;
}
